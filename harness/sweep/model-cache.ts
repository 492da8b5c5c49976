// Models a worker keeps loaded between jobs (PythonWorker.loadedModels, least recently used first),
// so the other backends of a model skip its load. The sweep keeps a model's jobs together and the
// pool prefers a worker that holds the job's model, so a few per worker catch nearly every reuse;
// keeping every model would grow the worker with the number of models in the sweep.
import type { Ops } from '../worker/protocol.js';
import type { JobResult } from './job-result.js';
import type { PythonWorker } from '../worker/python-worker.js';

export const DEFAULT_MODELS_PER_WORKER = 3;

// What the load of each held model answered, so a job that reuses a model still knows which class
// ran (the repo's own one, under trust_remote_code) without loading it again.
const loadAnswers = new WeakMap<PythonWorker, Map<string, Ops['load']['result']>>();

/** The worker's handle for model ``id``, loaded with ``load`` unless it holds it; ``loadMs`` when it
 * loaded; ``loaded``: what that load answered (class, remote code). */
export async function useModel(
  worker: PythonWorker, id: string, load: () => Promise<Ops['load']['result']>,
): Promise<{ handle: string; loadMs?: number; loaded?: Ops['load']['result'] }> {
  const held = worker.loadedModels.get(id);
  if (held) {
    worker.loadedModels.delete(id); // re-inserted last: the most recently used
    worker.loadedModels.set(id, held);
    return { handle: held, loaded: loadAnswers.get(worker)?.get(id) };
  }
  const loaded = await load();
  worker.loadedModels.set(id, loaded.handle);
  if (!loadAnswers.has(worker)) loadAnswers.set(worker, new Map());
  loadAnswers.get(worker)!.set(id, loaded);
  return { handle: loaded.handle, loadMs: loaded.load_ms, loaded };
}

/** Unload the least recently used models beyond ``keep`` (0: every model, so each job loads its own). */
export async function evictModels(worker: PythonWorker, keep: number): Promise<void> {
  for (const [id, handle] of worker.loadedModels) {
    if (worker.loadedModels.size <= keep || !worker.alive) return;
    worker.loadedModels.delete(id);
    loadAnswers.get(worker)?.delete(id);
    await worker.request('unload', { handle });
  }
}

/** The class a job ran, from its load's answer: the repo's own (``remote:<module>.<Class>``) when
 * auto_map code was loaded under trust_remote_code, else nothing to change. */
export function loadedClass(loaded: Ops['load']['result'] | undefined): Pick<JobResult, 'modelClass' | 'remoteCode'> | undefined {
  const remote = loaded?.remote_code;
  return remote && { modelClass: `remote:${remote.module}.${remote.class}`, remoteCode: remote };
}
