// Bad input gets a one-line error naming the input and the fix, and the worker stays usable.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerRequestError } from './errors.js';
import { PythonWorker } from './python-worker.js';

let worker: PythonWorker;
let root: string;
let inputs: string;

const llama = { vocab_size: 64, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1 };

async function expectOneLineError(call: Promise<unknown>, ...mentions: RegExp[]): Promise<void> {
  const error = await call.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(WorkerRequestError);
  const message = (error as WorkerRequestError).message;
  expect(message).not.toContain('\n');
  for (const mention of mentions) expect(message).toMatch(mention);
  const pid = worker.pid;
  expect((await worker.request('hello', {})).pid).toBe(pid); // same process, still answering
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bad-input-'));
  worker = new PythonWorker();
  await worker.request('make_tiny', { model_class: 'LlamaForCausalLM', model_type: 'llama', config: llama, out_dir: join(root, 'good') });
  await worker.request('load', { model_dir: join(root, 'good'), handle: 'good' });
  inputs = join(root, 'inputs.safetensors');
  await worker.request('sample_inputs', { model: 'good', out: inputs });
});

afterAll(async () => {
  await worker.close();
});

describe('bad input to the worker', () => {
  it('a model folder without config.json', async () => {
    const dir = join(root, 'no-config');
    await mkdir(dir);
    await writeFile(join(dir, 'model.safetensors'), '');
    await expectOneLineError(worker.request('load', { model_dir: dir }), new RegExp(`'${dir}' has no config.json`), /pass a checkpoint folder/);
  });

  it('a config with auto_map (remote code)', async () => {
    const dir = join(root, 'remote-code');
    await mkdir(dir);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', architectures: ['LlamaForCausalLM'], auto_map: { AutoModel: 'modeling_evil.EvilModel' } }));
    await expectOneLineError(worker.request('load', { model_dir: dir }), /declares auto_map/, /config\.json/, /--trust-remote-code/);
  });

  it('a .bin pickle checkpoint', async () => {
    const dir = join(root, 'pickle');
    await mkdir(dir);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', architectures: ['LlamaForCausalLM'], ...llama }));
    await writeFile(join(dir, 'pytorch_model.bin'), 'not loaded, never unpickled');
    await expectOneLineError(worker.request('load', { model_dir: dir }), /pytorch_model\.bin/, /safetensors only/, /safe_serialization=True/);
  });

  it('an unknown backend name', async () => {
    await expectOneLineError(
      worker.request('export', { model: 'good', backend: 'tensorrt', inputs, out_dir: join(root, 'out') }),
      /unknown backend 'tensorrt'/, /known backends: .*dynamo/,
    );
  });

  it('a dynamic_shapes key that is not an input', async () => {
    await expectOneLineError(
      worker.request('export', { model: 'good', backend: 'dynamo', inputs, out_dir: join(root, 'out'), config: { dynamic_shapes: { input_idz: { 0: 'auto' } } } }),
      /dynamic_shapes names \['input_idz'\]/, /inputs are \['input_ids', 'attention_mask'\]/, /Rename or remove/,
    );
  });

  it('an unknown config field', async () => {
    await expectOneLineError(
      worker.request('export', { model: 'good', backend: 'dynamo', inputs, out_dir: join(root, 'out'), config: { dynamc: true } }),
      /'dynamc'/, /valid fields are/,
    );
  });

  it('an unknown model class', async () => {
    await expectOneLineError(worker.request('load', { model_dir: join(root, 'good'), model_class: 'LlamaForEverything' }), /'LlamaForEverything' is not a transformers model class/);
  });

  it('a model handle that was never loaded', async () => {
    await expectOneLineError(worker.request('eager', { model: 'nope', inputs, out: join(root, 'x.safetensors') }), /no loaded model 'nope'/, /load it first/);
  });
});

describe('bad ExecuTorch backends', () => {
  it('an unknown ExecuTorch backend lists the valid ones', async () => {
    await expectOneLineError(
      worker.request('export', { model: 'good', backend: 'executorch', inputs, out_dir: join(root, 'et'), config: { backend: 'tpu' } }),
      /Unsupported backend 'tpu' for ExecuTorch export; valid backends: cuda, xnnpack\./,
    );
  });

  it('the CUDA backend on a machine without a GPU says what is missing', async () => {
    const error = await worker.request('export', { model: 'good', backend: 'executorch', inputs, out_dir: join(root, 'et'), config: { backend: 'cuda' } })
      .then(() => undefined, (e: unknown) => e);
    if (error === undefined) return; // a machine with a GPU exports; the message is for the others
    expect((error as Error).message).not.toContain('\n');
    expect((error as Error).message).toMatch(/needs a CUDA GPU; this machine has .*use backend='xnnpack'/);
  });
});
