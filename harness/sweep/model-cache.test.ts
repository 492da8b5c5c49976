// The loaded-model cache against a real worker: least recently used models are unloaded beyond the
// bound, so a worker's memory does not grow with the number of models in a sweep.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelEntries, selectModels } from '../catalog/default-models.js';
import { PythonWorker } from '../worker/python-worker.js';
import { ensureCheckpoint } from './checkpoints.js';
import { evictModels, useModel } from './model-cache.js';

const worker = new PythonWorker();
afterAll(() => worker.close());

describe('loaded models', () => {
  it('reuses a held model, and unloads the least recently used beyond the bound', async () => {
    const models = selectModels(loadModelEntries(), ['tiny-bert', 'tiny-gpt2', 'tiny-llama']);
    const use = async (id: string) => {
      const model = models.find((m) => m.id === id)!;
      const dir = await ensureCheckpoint(worker, model);
      return useModel(worker, id, () => worker.request('load', { model_dir: dir, handle: id }));
    };
    for (const id of ['tiny-bert', 'tiny-gpt2', 'tiny-llama']) expect((await use(id)).loadMs).toBeGreaterThan(0);
    expect((await use('tiny-bert')).loadMs).toBeUndefined(); // held: no load, and now the most recent
    await evictModels(worker, 2);
    expect([...worker.loadedModels.keys()]).toEqual(['tiny-llama', 'tiny-bert']);
    // the evicted model is gone from the worker itself, not only from the harness's book
    const out = join(await mkdtemp(join(tmpdir(), 'model-cache-')), 'inputs.safetensors');
    await expect(worker.request('sample_inputs', { model: 'tiny-gpt2', out })).rejects.toThrow(/no loaded model 'tiny-gpt2'/);
    await evictModels(worker, 0);
    expect(worker.loadedModels.size).toBe(0);
  });
});
