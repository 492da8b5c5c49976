// Models a worker keeps loaded between jobs (PythonWorker.loadedModels, least recently used first),
// so the other backends of a model skip its load. The sweep keeps a model's jobs together and the
// pool prefers a worker that holds the job's model, so a few per worker catch nearly every reuse;
// keeping every model would grow the worker with the number of models in the sweep.
import type { Ops } from '../worker/protocol.js';
import type { PythonWorker } from '../worker/python-worker.js';

export const DEFAULT_MODELS_PER_WORKER = 3;

/** The worker's handle for model ``id``, loaded with ``load`` unless it holds it; ``loadMs`` when it loaded. */
export async function useModel(worker: PythonWorker, id: string, load: () => Promise<Ops['load']['result']>): Promise<{ handle: string; loadMs?: number }> {
  const held = worker.loadedModels.get(id);
  if (held) {
    worker.loadedModels.delete(id); // re-inserted last: the most recently used
    worker.loadedModels.set(id, held);
    return { handle: held };
  }
  const loaded = await load();
  worker.loadedModels.set(id, loaded.handle);
  return { handle: loaded.handle, loadMs: loaded.load_ms };
}

/** Unload the least recently used models beyond ``keep`` (0: every model, so each job loads its own). */
export async function evictModels(worker: PythonWorker, keep: number): Promise<void> {
  for (const [id, handle] of worker.loadedModels) {
    if (worker.loadedModels.size <= keep || !worker.alive) return;
    worker.loadedModels.delete(id);
    await worker.request('unload', { handle });
  }
}
