// `export-sweep run --trust-remote-code` end to end: a repo whose config.json names its own class in
// auto_map (a BertModel subclass, CustomBertModel, whose forward adds 1 to the last hidden state)
// while `architectures` says BertModel. A user found the stock BertModel tested in its place. With
// the flag the repo's class must be what loads, runs eagerly and is exported, from the local hub
// (hub:) and from a folder (local:); without it every job must be refused naming the flag, with
// nothing loaded or exported.
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCommand } from '../harness/cli/run-command.js';
import { startLocalHub, type LocalHub } from '../harness/hub/local-hub.js';
import { fileName } from '../harness/report/html.js';
import { RunFolder } from '../harness/results/run-folder.js';
import type { JobResult } from '../harness/sweep/job-result.js';
import { jobWorkDir } from '../harness/sweep/jobs.js';
import { readSafetensors } from '../harness/tensors/safetensors.js';
import type { Tensor } from '../harness/tensors/tensor.js';
import { PythonWorker } from '../harness/worker/python-worker.js';

const MODELING_CUSTOM = `from transformers import BertModel


class CustomBertModel(BertModel):
    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **kwargs):
        outputs = super().forward(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, **kwargs)
        outputs.last_hidden_state = outputs.last_hidden_state + 1
        return outputs
`;
const TINY_BERT = { vocab_size: 256, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64, max_position_embeddings: 256, type_vocab_size: 2 };
const HUB_REPO = 'remote-test/custom-bert';
const REMOTE_CLASS = 'remote:modeling_custom.CustomBertModel';

let root: string;
let hub: LocalHub;
let worker: PythonWorker;
let stockDir: string;
let localDir: string;
let models: string;

beforeAll(async () => {
  vi.spyOn(console, 'debug').mockImplementation(() => undefined); // @huggingface/hub logs every file it downloads
  root = await mkdtemp(join(tmpdir(), 'remote-code-'));
  worker = new PythonWorker();
  // The same weights as a plain BertModel folder: the reference the custom forward must differ from by 1.
  stockDir = join(root, 'stock-bert');
  await worker.request('make_tiny', { model_class: 'BertModel', model_type: 'bert', out_dir: stockDir, config: TINY_BERT, seed: 0 });
  const repoDir = join(root, 'hub', ...HUB_REPO.split('/'));
  await mkdir(repoDir, { recursive: true });
  await cp(join(stockDir, 'model.safetensors'), join(repoDir, 'model.safetensors'));
  const config = JSON.parse(await readFile(join(stockDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(join(repoDir, 'config.json'), JSON.stringify({ ...config, architectures: ['BertModel'], auto_map: { AutoModel: 'modeling_custom.CustomBertModel' } }));
  await writeFile(join(repoDir, 'modeling_custom.py'), MODELING_CUSTOM);
  localDir = join(root, 'local-custom-bert');
  await cp(repoDir, localDir, { recursive: true });
  hub = await startLocalHub(join(root, 'hub'));
  models = `hub:${HUB_REPO},local:${localDir}`;
});
afterAll(async () => {
  await Promise.all([worker?.close(), hub?.close()]);
  vi.restoreAllMocks();
});

async function sweep(runDir: string, trust: boolean): Promise<{ code: number; results: JobResult[] }> {
  const args = ['--models', models, '--backends', 'dynamo,onnx', '--modes', 'static', '--jobs', '1', '--shapes', '0', '--seed', '1', '--hub-url', hub.url, '--out', runDir];
  const code = await runCommand(trust ? [...args, '--trust-remote-code'] : args);
  return { code, results: new RunFolder(runDir).results() };
}

/** max |a - b - 1| over every element: 0 when ``a`` is ``b`` plus the custom forward's 1. */
function offByOne(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let worst = 0;
  for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(Number(a.data[i]) - Number(b.data[i]) - 1));
  return worst;
}

describe('--trust-remote-code', () => {
  it('runs the repo\'s auto_map class (hub: and local:), and the export matches its own forward', async () => {
    const runDir = join(root, 'trusted');
    const { code, results } = await sweep(runDir, true);
    const detail = results.map((r) => `${r.id}: ${r.status} ${r.stage ?? ''} ${r.error ?? ''}`).join('\n');
    expect(code, detail).toBe(0);
    expect(results.map((r) => r.id).sort()).toEqual([
      `hub:${HUB_REPO}/dynamo/static`, `hub:${HUB_REPO}/onnx/static`, `local:${localDir}/dynamo/static`, `local:${localDir}/onnx/static`,
    ]);
    const { handle } = await worker.request('load', { model_dir: stockDir, handle: 'stock' });
    for (const result of results) {
      expect(result.status, detail).toBe('pass');
      expect(result.modelClass).toBe(REMOTE_CLASS);
      expect(result.remoteCode).toEqual({ module: 'modeling_custom', class: 'CustomBertModel', files: ['modeling_custom.py'], generative: false });
      // Eager and the artifact both carry the custom +1 over stock BertModel on the same inputs and weights.
      const dir = jobWorkDir(join(runDir, 'jobs'), result.id);
      const stock = await worker.request('eager', { model: handle, inputs: join(dir, 'inputs-sample.safetensors'), out: join(dir, 'stock-eager.safetensors') });
      const stockOut = (await readSafetensors(stock.path)).last_hidden_state;
      const eager = (await readSafetensors(join(dir, '2x7', 'eager.safetensors'))).last_hidden_state;
      const artifact = (await readSafetensors(join(dir, '2x7', result.backend === 'onnx' ? 'onnxruntime-python.safetensors' : 'torch.safetensors'))).last_hidden_state;
      expect(offByOne(eager, stockOut)).toBeLessThan(1e-5);
      expect(offByOne(artifact, stockOut)).toBeLessThan(1e-4);
    }
    // The model page and the dashboard matrix name the remote class and say it is remote code.
    const page = await readFile(join(runDir, 'reports', `${fileName(`hub:${HUB_REPO}`)}.html`), 'utf8');
    expect(page).toContain('modeling_custom.CustomBertModel (remote code: modeling_custom.py)');
    expect(await readFile(join(runDir, 'index.html'), 'utf8')).toContain('(remote code: modeling_custom.py)');
  });

  it('without the flag refuses every job naming --trust-remote-code, and loads or exports nothing', async () => {
    // After the trusted run, with the same caches: a trusted pass must not answer for this run.
    const { code, results } = await sweep(join(root, 'untrusted'), false);
    expect(code).toBe(1);
    expect(results).toHaveLength(4);
    for (const result of results) {
      expect(result.status).not.toBe('pass');
      expect(result.resultCached).toBeUndefined();
      expect(result.error).toMatch(/auto_map.*--trust-remote-code/s);
      // hub: is refused at the download (before the weights), local: by the worker's model load: both
      // on the checkpoint rung, before any export, so the job is broken (the harness refused it)
      expect(result.status).toBe('broken');
      expect(result.stage).toBe('checkpoint');
      expect(result.modelClass).not.toMatch(/BertModel/);
      expect(result.remoteCode).toBeUndefined();
      expect(result.shapes).toEqual([]);
      expect(result.durationsMs.export).toBeUndefined();
      expect(result.artifactBytes).toBeUndefined();
    }
  });
});
