// Tiny checkpoints are built once per (entry, pin set, tiny-config code) and kept in the cache: a
// real folder with config.json and model.safetensors, loaded the way a downloaded model is. The code
// that builds them is part of the folder's name, so an edited recipe never loads a folder it did not make.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelEntry } from '../catalog/default-models.js';
import { cacheRoot } from '../python/paths.js';
import { pinSetKey } from '../python/pin-set.js';
import { parseSource, resolveSource, type OnWorker, type SourceContext } from '../source/model-source.js';
import type { PythonWorker } from '../worker/python-worker.js';
import { recipeHash } from './source-hash.js';

function checkpointDir(entry: ModelEntry): string {
  const key = createHash('sha256').update(JSON.stringify({ entry, recipe: recipeHash() })).digest('hex').slice(0, 12);
  return join(cacheRoot(), 'tiny', pinSetKey(), `${entry.id}-${key}`);
}

const isBuilt = (dir: string) => existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'model.safetensors'));

export async function ensureCheckpoint(worker: PythonWorker, entry: ModelEntry): Promise<string> {
  const dir = checkpointDir(entry);
  if (isBuilt(dir)) return dir;
  await worker.request('make_tiny', { model_class: entry.class, model_type: entry.model_type, config: entry.config, seed: entry.seed, out_dir: dir });
  return dir;
}

export type { OnWorker };

/**
 * A sweep entry to its checkpoint folder. Only building something takes a worker (``onWorker``): a
 * `local:` folder, a hub snapshot or a tiny checkpoint built before needs none, so a re-run whose
 * results are all reused starts no Python at all, although its cache keys need the folder first.
 * ``signal`` aborts pending hub requests (the sweep is closing).
 */
export type ModelResolver = (entry: ModelEntry, onWorker: OnWorker, signal?: AbortSignal) => Promise<string>;

/** The tiny checkpoint built from the entry's config. */
export const tinyCheckpoint: ModelResolver = (entry, onWorker) => {
  const dir = checkpointDir(entry);
  return isBuilt(dir) ? Promise.resolve(dir) : onWorker((worker) => ensureCheckpoint(worker, entry));
};

/** A sweep entry's checkpoint folder: from its model source when it names one (hub:, synthetic:,
 * local:), else the tiny checkpoint built from its config. */
export function resolveModelFrom(context: Omit<SourceContext, 'worker' | 'onWorker' | 'signal'>): ModelResolver {
  // a download runs here in the harness, under the hub's own deadline, never holding a worker
  return (entry, onWorker, signal) => (entry.source ? resolveSource(parseSource(entry.source), { ...context, onWorker, signal }) : tinyCheckpoint(entry, onWorker));
}
