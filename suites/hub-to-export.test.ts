// End to end through the real download path: a synthetic tiny checkpoint is generated, served by the
// local hub on 127.0.0.1, downloaded into the HF cache layout, loaded, exported and checked.
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, type CatalogEntry } from '../harness/catalog/catalog.js';
import { loadTinyOverrides } from '../harness/catalog/tiny-overrides.js';
import { compareOutputs } from '../harness/compare/compare.js';
import { parseSource, resolveSource } from '../harness/source/model-source.js';
import { syntheticHubRoot, syntheticRepo } from '../harness/source/synthetic-source.js';
import { readSafetensors } from '../harness/tensors/safetensors.js';
import { PythonWorker } from '../harness/worker/python-worker.js';

let worker: PythonWorker;
let catalog: CatalogEntry[];
let root: string;

beforeAll(async () => {
  worker = new PythonWorker();
  catalog = await loadCatalog();
  root = await mkdtemp(join(tmpdir(), 'hub-e2e-'));
});
afterAll(() => worker.close());

describe('synthetic model through the local hub', () => {
  it.each(['LlamaForCausalLM', 'BertForSequenceClassification'])('%s: generate, serve, download, load, export, match eager', async (className) => {
    const folder = await resolveSource(parseSource(`synthetic:${className}`), {
      worker, catalog, overrides: loadTinyOverrides(), cacheDir: join(root, 'cache'),
    });
    expect(folder).toContain(join(root, 'cache'));
    expect(folder).toMatch(/models--synthetic--[\w-]+\/snapshots\/[0-9a-f]{40}$/);
    // stored once: the hub's file and the downloaded blob are the same inode, and no build folder is left
    const entry = catalog.find((e) => e.class === className)!;
    const repo = syntheticRepo(entry, loadTinyOverrides()[entry.model_type]);
    const [served, downloaded] = await Promise.all([stat(join(syntheticHubRoot(), repo, 'model.safetensors')), stat(join(folder, 'model.safetensors'))]);
    expect(served.ino).toBe(downloaded.ino);
    expect((await readdir(join(syntheticHubRoot(), 'synthetic'))).filter((name) => name.includes('.building-'))).toEqual([]);
    const { handle } = await worker.request('load', { model_dir: folder, handle: className });
    const inputs = join(root, `${className}-inputs.safetensors`);
    await worker.request('sample_inputs', { model: handle, out: inputs, padding: 'left' });
    const eager = await worker.request('eager', { model: handle, inputs, out: join(root, `${className}-eager.safetensors`) });
    const exported = await worker.request('export', { model: handle, backend: 'dynamo', inputs, out_dir: join(root, className), config: { dynamic: true } });
    const ran = await worker.request('run', { backend: 'dynamo', artifact: exported.artifact, inputs, out: join(root, `${className}-run.safetensors`) });
    const comparison = compareOutputs(await readSafetensors(eager.path), await readSafetensors(ran.path), 'dynamo');
    expect(comparison.ok).toBe(true);
  });

  it('refuses sources it cannot resolve, naming them', () => {
    expect(() => parseSource('s3:bucket/model')).toThrow(/not one of hub:org\/name\[@revision\], synthetic:ClassName, local:path/);
    expect(() => parseSource('synthetic:../../etc')).toThrow(/not one of/);
  });
});
