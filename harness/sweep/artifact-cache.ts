// Exported artifacts cached by everything that decides them: the model entry (class and config),
// backend, mode and export config, the pin set and the exporters' own source. A re-run of an
// unchanged job skips its export (the slowest step), and still runs and compares it in full.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { isPeer, type Implementation } from '../peers/implementations.js';
import { cacheRoot } from '../python/paths.js';
import { pinSetKey } from '../python/pin-set.js';
import type { ExportInfo } from '../runtimes/backend-runtimes.js';
import type { Job } from './jobs.js';
import { sourceHash } from './source-hash.js';

/** The export request's own part (without model and paths): what the worker is asked to make. */
export function exportRequest(job: Job, exportConfig: Record<string, unknown> | undefined, implementation: Implementation | undefined) {
  return {
    backend: job.backend, config: { ...exportConfig, dynamic: job.mode === 'dynamic' },
    ...(isPeer(implementation) ? { implementation } : {}),
  };
}

export function artifactKey(job: Job, request: ReturnType<typeof exportRequest>): string {
  // any change to the Python package (exporters, worker, input recipes) invalidates its artifacts
  const exporters = sourceHash(['exporters/hf_exporters'], ['.py']);
  return createHash('sha256')
    .update(JSON.stringify({ model: job.model, backend: job.backend, mode: job.mode, request, pins: pinSetKey(), exporters }))
    .digest('hex').slice(0, 24);
}

const entryDir = (key: string, root: string) => join(root, 'artifacts', key);

export function cachedArtifact(key: string, root = cacheRoot()): ExportInfo | undefined {
  const facts = join(entryDir(key, root), 'export.json');
  if (!existsSync(facts)) return undefined;
  const info = JSON.parse(readFileSync(facts, 'utf8')) as ExportInfo;
  return existsSync(info.artifact) && statSync(info.artifact).size > 0 ? info : undefined;
}

/** Copies the artifact's folder into the cache (atomically: a half-written entry is never seen). */
export async function storeArtifact(key: string, exported: ExportInfo, root = cacheRoot()): Promise<void> {
  const final = entryDir(key, root);
  const staging = `${final}.${process.pid}.tmp`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(dirname(final), { recursive: true });
  await cp(dirname(exported.artifact), join(staging, 'artifact'), { recursive: true });
  const artifact = join(final, 'artifact', relative(dirname(exported.artifact), exported.artifact));
  await writeFile(join(staging, 'export.json'), JSON.stringify({ ...exported, artifact }));
  await rm(final, { recursive: true, force: true });
  await rename(staging, final);
}
