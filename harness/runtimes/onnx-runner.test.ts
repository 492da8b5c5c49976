// onnxruntime-node on real exports: a planted wrong weight is caught with its size, and bad input
// (missing .onnx_data, unknown output, wrong dtype) gets an error naming file, name and dtype.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareOutputs } from '../compare/compare.js';
import { PYTHON_LAUNCHER } from '../python/paths.js';
import { readSafetensors } from '../tensors/safetensors.js';
import { PythonWorker } from '../worker/python-worker.js';
import { byLeafName, OnnxRunError, OnnxRunner } from './onnx-runner.js';

const llama = { vocab_size: 64, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1 };
let root: string;
let model: string;
let eagerPath: string;
let inputsPath: string;
let names: { outputs: string[]; leaves: string[] };
const runner = new OnnxRunner();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'onnx-runner-'));
  const worker = new PythonWorker();
  try {
    await worker.request('make_tiny', { model_class: 'LlamaForCausalLM', model_type: 'llama', config: llama, out_dir: join(root, 'ckpt') });
    await worker.request('load', { model_dir: join(root, 'ckpt'), handle: 'm' });
    inputsPath = join(root, 'inputs.safetensors');
    await worker.request('sample_inputs', { model: 'm', out: inputsPath, batch: 2, seq: 5 });
    eagerPath = (await worker.request('eager', { model: 'm', inputs: inputsPath, out: join(root, 'eager.safetensors') })).path;
    const exported = await worker.request('export', { model: 'm', backend: 'onnx', inputs: inputsPath, out_dir: join(root, 'onnx'), config: { dynamic: true } });
    model = exported.artifact;
    names = { outputs: exported.outputs!, leaves: exported.leaves! };
  } finally {
    await worker.close();
  }
});

afterAll(() => runner.close());

async function copyModel(name: string): Promise<string> {
  const dir = join(root, name);
  await cp(join(root, 'onnx'), dir, { recursive: true });
  return join(dir, 'model.onnx');
}

describe('OnnxRunner', () => {
  it('runs the exported file from its path and matches eager', async () => {
    const outputs = await runner.run(model, await readSafetensors(inputsPath));
    const comparison = compareOutputs(await readSafetensors(eagerPath), byLeafName(outputs, names.outputs, names.leaves), 'onnx');
    expect(comparison.ok).toBe(true);
    expect(comparison.maxAbsError).toBeLessThan(1e-5);
  });

  it('catches a planted wrong weight and reports how wrong', async () => {
    const planted = await copyModel('planted');
    // the largest matmul weight (the optimiser renames folded weights, so not by name), found with the onnx package
    const script = [
      'import sys, onnx',
      'm = onnx.load(sys.argv[1], load_external_data=False)',
      'inits = [i for i in m.graph.initializer if i.data_location == onnx.TensorProto.EXTERNAL and "embed_tokens" not in i.name]',
      'big = max(inits, key=lambda i: int({e.key: e.value for e in i.external_data}["length"]))',
      'info = {e.key: e.value for e in big.external_data}',
      'print(big.name, info["offset"], info["length"])',
    ].join('\n');
    const [name, offset, length] = execFileSync(PYTHON_LAUNCHER, ['-c', script, planted], { encoding: 'utf8' }).trim().split(' ');
    const dataPath = `${planted}_data`;
    const data = await readFile(dataPath);
    const at = Number(offset) + Math.floor(Number(length) / 8) * 4; // one float32 in the middle of it
    data.writeFloatLE(data.readFloatLE(at) + 1.0, at);
    await writeFile(dataPath, data);
    const outputs = await runner.run(planted, await readSafetensors(inputsPath));
    const comparison = compareOutputs(await readSafetensors(eagerPath), byLeafName(outputs, names.outputs, names.leaves), 'onnx');
    expect(name).not.toContain('embed_tokens');
    expect(comparison.ok).toBe(false);
    expect(comparison.maxAbsError).toBeGreaterThan(1e-3);
    const worst = comparison.leaves.find((leaf) => !leaf.ok)!;
    expect(worst.problem).toBe('value');
    expect(worst.outOfToleranceShare).toBeGreaterThan(0);
    expect(worst.worstIndex).toHaveLength(worst.expectedShape!.length);
  });

  it('names the missing .onnx_data file', async () => {
    const broken = await copyModel('no-data');
    await rm(`${broken}_data`);
    await expect(runner.run(broken, await readSafetensors(inputsPath))).rejects.toThrow(
      new RegExp(`${broken}: its external data file 'model.onnx_data' is missing .*keep the .onnx_data file next to the .onnx`),
    );
  });

  it('names an output the model does not have, and lists the real ones', async () => {
    const error = await runner.run(model, await readSafetensors(inputsPath), ['logits', 'hidden_states']).catch((e: Error) => e);
    expect(error).toBeInstanceOf(OnnxRunError);
    expect((error as Error).message).toMatch(/model.onnx has no output 'hidden_states'; its outputs are logits, past_key_values.0.key/);
  });

  it('names an input of the wrong dtype and the dtype it needs', async () => {
    const feeds = await readSafetensors(inputsPath);
    const ids = feeds.input_ids;
    feeds.input_ids = { dtype: 'float32', shape: ids.shape, data: Float32Array.from(ids.data as BigInt64Array, Number) };
    await expect(runner.run(model, feeds)).rejects.toThrow("model.onnx: input 'input_ids' must be int64, got float32; convert it before running.");
  });

  it('reports inputs the model rejects as an OnnxRunError, so the sweep records a runtime error', async () => {
    const feeds = await readSafetensors(inputsPath);
    feeds.input_ids = { ...feeds.input_ids, shape: [...feeds.input_ids.shape, 1] };
    const error = await runner.run(model, feeds).catch((e: Error) => e);
    expect(error).toBeInstanceOf(OnnxRunError);
    expect((error as Error).message).toMatch(/model.onnx: onnxruntime-node failed to run it: .*input_ids/);
  });

  it('names a missing input', async () => {
    const feeds = await readSafetensors(inputsPath);
    delete feeds.attention_mask;
    await expect(runner.run(model, feeds)).rejects.toThrow(/needs input 'attention_mask', which was not given/);
  });
});
