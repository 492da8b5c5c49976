// Conformance: every selected model exports with every backend and mode; each artifact matches eager
// leaf by leaf at the traced sample and, when dynamic, at fuzzed shapes it never saw (size 1 along
// each dynamic dim among them); ONNX files also agree between onnxruntime-node and Python
// onnxruntime; .pte files run in the ExecuTorch runtime; a generate job's loop gives eager's tokens
// at both prompt lengths. One test per job, so vitest's filters (-t 'tiny-llama') and reporters
// apply per job.
//
// Two ways to get the results:
//   SWEEP_RUN=DIR            check the run folder of `export-sweep run` (bin/test sets it to CI's run of
//                            the README's first command: the whole default set, every backend and mode,
//                            no cache). The status is the CLI's; these are the checks the CLI does not
//                            make: the runtimes each backend ran in, the fuzzed-shape counts, where the
//                            generation loop ran, skips backed by an upstream link, and that the run is
//                            the whole default sweep with a result for every job.
//   otherwise                run the jobs here, on the selection below:
//     SWEEP_MODELS=all | a,b   (default: a small selection of the default set)
//     SWEEP_BACKENDS=a,b       (default: all)      SWEEP_SHAPES=N fuzzed shapes (default 10)
//     SWEEP_MODES=a,b          (default: static,dynamic,generate)
// suites/generation.test.ts adds a vision-language model, a T5 that decodes varied tokens and the
// planted wrong-cache check.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../harness/catalog/catalog.js';
import { list } from '../harness/cli/args.js';
import { loadModelEntries, selectModels } from '../harness/catalog/default-models.js';
import { reportJobToAllure, throwIfBroken } from '../harness/report/allure-job.js';
import { RunFolder, selectionJobs } from '../harness/results/run-folder.js';
import { loadSkipLists } from '../harness/skips/skip-list.js';
import { isExpected, type JobResult } from '../harness/sweep/job-result.js';
import { BACKENDS, expandJobs, MODES, SAMPLE_SHAPE, type Job, type Mode } from '../harness/sweep/jobs.js';
import { GENERATE_PROMPT_LENGTHS, GENERATE_STEPS } from '../harness/sweep/run-generate-job.js';
import { SweepSession } from '../harness/sweep/sweep.js';

const runDir = process.env.SWEEP_RUN;
const folder = runDir ? new RunFolder(runDir) : undefined;
const manifest = folder?.readManifest();

const LOCAL_MODELS = ['tiny-llama', 'tiny-qwen3', 'tiny-gpt2', 'tiny-bert', 'tiny-t5'];
const wanted = process.env.SWEEP_MODELS === 'all' ? undefined : list(process.env.SWEEP_MODELS) ?? LOCAL_MODELS;
const jobs = manifest
  ? selectionJobs(manifest.selection)
  : expandJobs(selectModels(loadModelEntries(), wanted), list(process.env.SWEEP_BACKENDS) ?? [...BACKENDS],
    (list(process.env.SWEEP_MODES) ?? MODES) as Mode[]);
const shapes = manifest ? manifest.selection.shapes : Number(process.env.SWEEP_SHAPES ?? 10);
const backends = [...new Set(jobs.map((job) => job.backend))];

// The default tiny T5 and Whisper greedily repeat one token at both prompt lengths (T5 token 0,
// Whisper 22; their weight scale is sized for the static and dynamic comparisons' tolerance), so
// their generate jobs cannot show a wrong cache; suites/generation.test.ts checks a wider T5 instead.
// Every other generative model must decode varied tokens.
const REPEATS_ONE_TOKEN = new Set(['tiny-t5', 'tiny-whisper']);

let session: SweepSession | undefined;
let stored: Map<string, JobResult> | undefined;
beforeAll(async () => {
  if (folder) {
    stored = new Map(folder.results().map((r) => [r.id, r]));
    return;
  }
  const skipLists = loadSkipLists(undefined, await loadCatalog());
  session = new SweepSession({ jobs, runDir: await mkdtemp(join(tmpdir(), 'sweep-')), workers: 2, skipLists, fuzz: { numRuns: shapes, seed: 20261129 } });
});
afterAll(() => session?.close());

async function resultOf(job: Job): Promise<JobResult> {
  if (!stored) return session!.run(job);
  const result = stored.get(job.id);
  if (!result) throw new Error(`${runDir} has no result for ${job.id}: the sweep stopped before it (its log says why); finish it with export-sweep run --resume ${runDir}`);
  return result;
}

const detail = (r: JobResult) => `${r.id}: ${r.status} ${r.stage ?? ''} ${r.error ?? ''} max abs ${r.maxAbsError}`;

function expectGenerationConforms(job: Job, result: JobResult): void {
  const generation = result.generation!;
  expect(generation.runtime).toBe(job.backend === 'onnx' ? 'onnxruntime-node' : job.backend);
  expect(generation.prompts.map((p) => p.length)).toEqual(GENERATE_PROMPT_LENGTHS);
  for (const prompt of generation.prompts) {
    expect(prompt.exported.map((row) => row.length)).toEqual([GENERATE_STEPS, GENERATE_STEPS]);
    if (REPEATS_ONE_TOKEN.has(job.model.id)) continue;
    expect(Math.max(...prompt.eager.map((row) => new Set(row).size)), `${job.id}: eager repeats ${JSON.stringify(prompt.eager)}`).toBeGreaterThan(2);
  }
}

function expectConforms(job: Job, result: JobResult): void {
  if (isExpected(result)) {
    // a skip or an expected failure is only ever a skip-list entry with its upstream link
    expect(result.skip?.link).toMatch(/^https:\/\/github\.com\//);
    return;
  }
  expect(result.status, detail(result)).toBe('pass');
  if (job.mode === 'generate') {
    expectGenerationConforms(job, result);
    return;
  }
  expect(result.artifactBytes).toBeGreaterThan(0);
  expect(result.shapes[0].shape).toEqual(SAMPLE_SHAPE);
  const runtimes = result.shapes[0].checks.map((c) => [c.runtime, c.against]);
  if (job.backend === 'onnx') expect(runtimes).toEqual([['onnxruntime-node', 'eager'], ['onnxruntime-python', 'onnxruntime-node']]);
  if (job.backend === 'executorch') expect(runtimes).toEqual([['executorch', 'eager']]);
  if (job.mode === 'dynamic' && shapes > 0) {
    const fuzzed = result.shapes.slice(1).map((s) => s.shape);
    expect(result.fuzz?.ok).toBe(true);
    expect(fuzzed.length).toBeGreaterThanOrEqual(shapes);
    expect(fuzzed.some((s) => s.batch === 1)).toBe(true);
    if (fuzzed.some((s) => s.seq !== SAMPLE_SHAPE.seq)) expect(fuzzed.some((s) => s.seq === 1)).toBe(true);
  }
}

describe.runIf(manifest)('the CI sweep run', () => {
  it('is the README\'s first command: the whole default set, every backend and mode, fuzzed, uncached, one result per job', () => {
    const selection = manifest!.selection;
    expect(selection.models.map((m) => m.id)).toEqual(loadModelEntries().map((m) => m.id));
    expect(selection.backends).toEqual([...BACKENDS]);
    expect(selection.modes).toEqual([...MODES]);
    expect(selection.shard).toBeUndefined();
    expect(selection.shapes).toBeGreaterThan(0);
    const results = folder!.results();
    // a reused result would be a warm cache answering for this commit
    expect(results.filter((r) => r.resultCached || r.artifactCached).map((r) => r.id)).toEqual([]);
    expect(results.map((r) => r.id).sort()).toEqual([...manifest!.jobs].sort());
  });
});

// Run here, a test's wall time includes waiting for a free worker behind the other concurrent jobs
// (ExecuTorch generate jobs take minutes each on 2 workers); each job has the pool's own timeout.
const QUEUED_JOB_TIMEOUT_MS = 40 * 60_000;

describe.each(backends)('%s', (backend) => {
  it.concurrent.each(jobs.filter((job) => job.backend === backend).map((job) => [job.id, job] as const))('%s', async (_, job) => {
    const result = await resultOf(job);
    await reportJobToAllure(job, result);
    throwIfBroken(result); // allure files a job that never reached the exporter as broken, not failed
    expectConforms(job, result);
  }, QUEUED_JOB_TIMEOUT_MS);
});
