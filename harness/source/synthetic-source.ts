// A `synthetic:` source's tiny checkpoint, stored once. It is built straight into the local hub's
// repo folder (no separate build folder to copy from) and, once downloaded from there, the hub's
// files become hard links to the downloaded blobs: the real download path still runs, yet the
// bytes sit on disk once instead of three times (build, hub, download cache: 1.3 GB each for 57
// classes before). Where the two folders are on different file systems the copies stay.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CatalogEntry } from '../catalog/catalog.js';
import { cacheRoot } from '../python/paths.js';
import { pinSetKey } from '../python/pin-set.js';
import { recipeHash } from '../sweep/source-hash.js';
import type { PythonWorker } from '../worker/python-worker.js';

/** Where the local hub serves synthetic checkpoints from, per pin set. */
export const syntheticHubRoot = (): string => join(cacheRoot(), 'local-hub', pinSetKey());

/** The hub repo of ``entry``'s tiny checkpoint: the overrides and the code that builds tiny
 * checkpoints are part of its name, so editing either never serves a stale checkpoint. */
export function syntheticRepo(entry: CatalogEntry, overrides: Record<string, unknown> | undefined): string {
  const key = createHash('sha256').update(JSON.stringify({ overrides: overrides ?? {}, recipe: recipeHash() })).digest('hex').slice(0, 8);
  return `synthetic/${entry.class}-${key}`;
}

/** Builds ``repo`` into the hub root unless it is there; ``build`` writes a checkpoint into a folder. */
export async function publishSynthetic(repo: string, build: (outDir: string) => Promise<unknown>): Promise<void> {
  const repoDir = join(syntheticHubRoot(), repo);
  if (existsSync(join(repoDir, 'model.safetensors'))) return;
  // Built beside its final name and renamed, so the hub never serves half a checkpoint, and a
  // second sweep building the same class at once keeps whichever finished first.
  const building = `${repoDir}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  await mkdir(building, { recursive: true });
  try {
    await build(building);
    await rm(repoDir, { recursive: true, force: true }); // a folder left without weights by an older layout
    await rename(building, repoDir).catch((error: NodeJS.ErrnoException) => {
      if (!existsSync(join(repoDir, 'model.safetensors'))) throw error;
    });
  } finally {
    await rm(building, { recursive: true, force: true });
  }
}

/** Replaces each file of the hub's ``repo`` by a hard link to the blob its download produced. */
export async function shareWithSnapshot(repo: string, snapshotDir: string): Promise<void> {
  const repoDir = join(syntheticHubRoot(), repo);
  for (const name of await readdir(repoDir)) {
    const served = join(repoDir, name);
    const blob = await realpath(join(snapshotDir, name)).catch(() => undefined);
    if (!blob) continue;
    const [a, b] = await Promise.all([stat(served), stat(blob)]);
    if (!a.isFile() || (a.ino === b.ino && a.dev === b.dev)) continue;
    const linked = `${served}.link-${process.pid}`;
    try {
      await link(blob, linked);
      await rename(linked, served);
    } catch (error) {
      await rm(linked, { force: true });
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      return; // another file system: the copies stay
    }
  }
}

/** The worker request that builds ``entry``'s tiny checkpoint into ``outDir``. */
export function makeTiny(worker: PythonWorker, entry: CatalogEntry, config: Record<string, unknown> | undefined, outDir: string) {
  return worker.request('make_tiny', { model_class: entry.class, model_type: entry.model_type, out_dir: outDir, config, shrink: true });
}
