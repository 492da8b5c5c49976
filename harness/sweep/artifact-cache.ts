// Exported artifacts cached by everything that decides them, by content, never by name: what the
// checkpoint folder holds (its files' hash, or a hub snapshot's commit), the exporter's own source,
// the worker that drives it, the tiny-config and input-recipe code, backend, mode and export config,
// and the pin set. A re-run of an unchanged job skips its export (the slowest step), and still runs
// and compares it in full; an edited folder, a moved branch or edited code exports afresh.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { ADAPTER_FILES, isPeer, type Implementation } from '../peers/implementations.js';
import { cacheRoot, REPO_ROOT } from '../python/paths.js';
import { pinFile, pinSetKey } from '../python/pin-set.js';
import type { ExportInfo } from '../runtimes/backend-runtimes.js';
import type { Job } from './jobs.js';
import { RECIPE_CODE, recipeHash, sourceHash, WORKER } from './source-hash.js';

/** The export request's own part (without model and paths): what the worker is asked to make. */
export function exportRequest(job: Job, exportConfig: Record<string, unknown> | undefined, implementation: Implementation | undefined) {
  return {
    backend: job.backend, config: { ...exportConfig, dynamic: job.mode === 'dynamic' },
    ...(isPeer(implementation) ? { implementation } : {}),
  };
}

const PACKAGE = 'exporters/hf_exporters';

/** The version line a pin set gives a package (``transformers==5.16.1``), or null. */
function pinnedVersion(name: string): string | null {
  const line = readFileSync(pinFile(), 'utf8').split('\n').find((l) => new RegExp(`^${name}\\s*(==|@)`, 'i').test(l.trim()));
  return line?.trim() ?? null;
}

/** Whose export code makes the artifact: the implementation's adapter file, and what it exports
 * with. Ours: hf_exporters. A peer: the pinned transformers, and hf_exporters as well, because the
 * upstream adapter names outputs with hf_exporters' leaf flattening. */
export function exporterSource(implementation: Implementation | undefined): unknown {
  const ours = sourceHash([PACKAGE], ['.py']);
  const name = implementation ?? 'ours';
  const adapter = sourceHash([relative(REPO_ROOT, ADAPTER_FILES[name])], ['.py']);
  return isPeer(implementation)
    ? { peer: implementation, adapter, transformers: pinnedVersion('transformers'), host: ours }
    : { ours, adapter };
}

/** Everything a job's artifact is made from. ``modelContent``: checkpointContent() of its resolved
 * checkpoint, so no key exists before the checkpoint does. */
export function artifactKey(job: Job, request: ReturnType<typeof exportRequest>, modelContent: string): string {
  return createHash('sha256')
    .update(JSON.stringify({
      model: job.model, modelContent, backend: job.backend, mode: job.mode, request, pins: pinSetKey(),
      exporter: exporterSource(isPeer(request.implementation) ? request.implementation : undefined),
      // the worker's ops and runners drive every implementation's export and run its artifacts
      worker: sourceHash([WORKER], ['.py'], RECIPE_CODE),
      recipe: recipeHash(),
    }))
    .digest('hex').slice(0, 24);
}

const entryDir = (key: string, root: string) => join(root, 'artifacts', key);

/** The stored export of ``key``, its ``artifact`` inside the cache entry, if the entry is whole. */
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
