// Exported artifacts cached by everything that decides them: the model entry (class and config),
// backend, mode and export config, the pin set and the exporters' own source. A re-run of an
// unchanged job skips its export (the slowest step), and still runs and compares it in full.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { cacheRoot, REPO_ROOT } from '../python/paths.js';
import { pinSetKey } from '../python/pin-set.js';
import type { ExportInfo } from '../runtimes/backend-runtimes.js';
import type { Job } from './jobs.js';

let sourceHash: string | undefined;

/** A hash of every file of the Python package: any change to an exporter invalidates its artifacts. */
function exportersSourceHash(): string {
  if (sourceHash) return sourceHash;
  const root = join(REPO_ROOT, 'exporters', 'hf_exporters');
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== '__pycache__') walk(path);
      else if (entry.isFile() && entry.name.endsWith('.py')) hash.update(relative(root, path)).update(readFileSync(path));
    }
  };
  walk(root);
  sourceHash = hash.digest('hex').slice(0, 16);
  return sourceHash;
}

export function artifactKey(job: Job, request: Record<string, unknown>): string {
  return createHash('sha256')
    .update(JSON.stringify({ model: job.model, backend: job.backend, mode: job.mode, request, pins: pinSetKey(), exporters: exportersSourceHash() }))
    .digest('hex').slice(0, 24);
}

const entryDir = (key: string) => join(cacheRoot(), 'artifacts', key);

export function cachedArtifact(key: string): ExportInfo | undefined {
  const facts = join(entryDir(key), 'export.json');
  if (!existsSync(facts)) return undefined;
  const info = JSON.parse(readFileSync(facts, 'utf8')) as ExportInfo;
  return existsSync(info.artifact) && statSync(info.artifact).size > 0 ? info : undefined;
}

/** Copies the artifact's folder into the cache (atomically: a half-written entry is never seen). */
export async function storeArtifact(key: string, exported: ExportInfo): Promise<void> {
  const final = entryDir(key);
  const staging = `${final}.${process.pid}.tmp`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(dirname(final), { recursive: true });
  await cp(dirname(exported.artifact), join(staging, 'artifact'), { recursive: true });
  const artifact = join(final, 'artifact', relative(dirname(exported.artifact), exported.artifact));
  await writeFile(join(staging, 'export.json'), JSON.stringify({ ...exported, artifact }));
  await rm(final, { recursive: true, force: true });
  await rename(staging, final);
}
