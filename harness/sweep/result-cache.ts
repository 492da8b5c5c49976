// Whole results of identical jobs, reused. A job with the same artifact key (checkpoint content,
// exporter, worker and recipe source, backend, mode, export config, pins), the same fuzzing (cases, seed, replay path) and the
// same checking code (comparisons, tolerances, fuzzer, runtimes, onnxruntime-node, the architecture
// rows' tolerances) ends the same way, so a re-run of an unchanged job needs no worker at all. The artifact cache alone still pays
// for the eager runs, the runtimes and the fuzzing, and for starting the workers that do them.
//
// Only passes are kept, as Bazel's --cache_test_results=auto and rustc's compiletest keep only
// passing tests: a failure is what someone is working on, so each run shows it afresh with its
// files and worker stderr, and a crash or timeout may have been the machine's, not the job's.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { toleranceData } from '../architectures/architectures.js';
import { cacheRoot, REPO_ROOT } from '../python/paths.js';
import type { JobResult } from './job-result.js';
import type { FuzzSettings } from './run-job.js';
import { sourceHash } from './source-hash.js';

const CHECKING_CODE = ['harness/compare', 'harness/fuzz', 'harness/generation', 'harness/runtimes', 'harness/tensors', 'harness/sweep/run-job.ts', 'harness/sweep/run-generate-job.ts', 'harness/sweep/jobs.ts'];

function onnxruntimeNodeVersion(): string {
  const manifest = join(REPO_ROOT, 'node_modules', 'onnxruntime-node', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** ``fuzz``: a dynamic job's fuzzing (a new seed is new shapes, so it runs again); none for a static job. */
export function resultKey(artifactKey: string, fuzz: FuzzSettings | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify({
      artifactKey, fuzz: fuzz ? { numRuns: fuzz.numRuns, seed: fuzz.seed, path: fuzz.path ?? null } : null,
      checks: sourceHash(CHECKING_CODE, ['.ts', '.json']), rowTolerances: toleranceData(), onnxruntimeNode: onnxruntimeNodeVersion(),
    }))
    .digest('hex').slice(0, 24);
}

const entryFile = (key: string, root: string) => join(root, 'results', `${key}.json`);

/** A stored result and the run folder it was produced in. */
interface Entry { runDir: string; result: JobResult }

/** The stored result, marked ``resultCached`` and naming the run that produced it (``reusedFrom``);
 * its durations are this lookup's, since nothing ran. */
export function cachedResult(key: string, root = cacheRoot()): JobResult | undefined {
  const start = performance.now();
  const file = entryFile(key, root);
  if (!existsSync(file)) return undefined;
  const entry = JSON.parse(readFileSync(file, 'utf8')) as Partial<Entry>;
  if (!entry.result || typeof entry.runDir !== 'string') return undefined; // written by other code: never trusted
  const { artifactCached, durationsMs, peakRssMb, workerPid, ...stored } = entry.result;
  return {
    ...stored, resultCached: true, reusedFrom: { runDir: entry.runDir, finishedAt: stored.finishedAt },
    durationsMs: { total: performance.now() - start }, finishedAt: new Date().toISOString(),
  };
}

/** Keeps a passing ``result`` made in the run folder ``runDir``. */
export async function storeResult(key: string, result: JobResult, runDir: string, root = cacheRoot()): Promise<void> {
  if (result.status !== 'pass') return;
  const file = entryFile(key, root);
  await mkdir(dirname(file), { recursive: true });
  const entry: Entry = { runDir: resolve(runDir), result };
  await writeFile(`${file}.${process.pid}.tmp`, JSON.stringify(entry));
  await rename(`${file}.${process.pid}.tmp`, file); // a half-written entry is never read
}
