// Tiny checkpoints are built once per (entry, pin set) and kept in the cache: a real folder with
// config.json and model.safetensors, loaded the way a downloaded model is.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelEntry } from '../catalog/default-models.js';
import { cacheRoot } from '../python/paths.js';
import { pinSetKey } from '../python/pin-set.js';
import { parseSource, resolveSource, type SourceContext } from '../source/model-source.js';
import type { PythonWorker } from '../worker/python-worker.js';

function checkpointDir(entry: ModelEntry): string {
  const key = createHash('sha256').update(JSON.stringify(entry)).digest('hex').slice(0, 12);
  return join(cacheRoot(), 'tiny', pinSetKey(), `${entry.id}-${key}`);
}

export async function ensureCheckpoint(worker: PythonWorker, entry: ModelEntry): Promise<string> {
  const dir = checkpointDir(entry);
  if (existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'model.safetensors'))) return dir;
  await worker.request('make_tiny', { model_class: entry.class, model_type: entry.model_type, config: entry.config, seed: entry.seed, out_dir: dir });
  return dir;
}

/** A sweep entry's checkpoint folder: from its model source when it names one (hub:, synthetic:,
 * local:), else the tiny checkpoint built from its config. */
export function resolveModelFrom(context: Omit<SourceContext, 'worker'>) {
  return (worker: PythonWorker, entry: ModelEntry): Promise<string> =>
    entry.source ? resolveSource(parseSource(entry.source), { ...context, worker }) : ensureCheckpoint(worker, entry);
}
