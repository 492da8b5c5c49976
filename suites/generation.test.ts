// Generation conformance in the harness itself: each generative model's components are exported to
// ONNX by the worker, and a greedy loop written in TypeScript drives them in onnxruntime-node
// (prefill on the prompt, then decode one token at a time, carrying the cache as flat named tensors).
// Its tokens must equal eager generate(do_sample=False), at two prompt lengths, batch 2, left padding,
// except where eager's top-2 logit gap makes the step a tie.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelEntries, selectModels } from '../harness/catalog/default-models.js';
import { onnxGreedyGenerate } from '../harness/generation/onnx-generate.js';
import { matchTokens } from '../harness/generation/token-match.js';
import { OnnxRunner } from '../harness/runtimes/onnx-runner.js';
import { ensureCheckpoint } from '../harness/sweep/checkpoints.js';
import { readSafetensors, writeSafetensors } from '../harness/tensors/safetensors.js';
import { PythonWorker } from '../harness/worker/python-worker.js';

// Mamba is left out here: its exports specialise the sequence length (skip-lists/export-skip.json,
// https://github.com/pytorch/pytorch/issues/146835), and with the default set's tiny config its ONNX
// components return all-zero logits in this loop, which is still open (the Python loop over a
// smaller-weighted tiny Mamba in exporters/tests/test_generation.py matches eager).
const MODELS = ['tiny-llama', 'tiny-qwen3', 'tiny-gpt2', 'tiny-t5'];
const PROMPT_LENGTHS = [5, 9];
const NEW_TOKENS = 8;

let worker: PythonWorker;
let onnx: OnnxRunner;
let root: string;
beforeAll(async () => {
  worker = new PythonWorker();
  onnx = new OnnxRunner();
  root = await mkdtemp(join(tmpdir(), 'generation-'));
});
afterAll(async () => {
  await Promise.all([worker?.close(), onnx?.close()]);
});

describe.each(selectModels(loadModelEntries(), MODELS).map((m) => [m.id, m] as const))('%s', (id, model) => {
  it(`ONNX components driven from TypeScript reproduce eager's ${NEW_TOKENS} greedy tokens (batch 2, left padding, prompts ${PROMPT_LENGTHS.join(' and ')})`, async () => {
    const { handle } = await worker.request('load', { model_dir: await ensureCheckpoint(worker, model), handle: id });
    const prompts: string[] = [];
    for (const length of PROMPT_LENGTHS) {
      const sample = join(root, id, `sample-${length}.safetensors`);
      await worker.request('sample_inputs', { model: handle, out: sample, batch: 2, seq: length, padding: 'left', seed: length });
      // generate builds its own decoder ids; the prompt is the encoder's (or the decoder-only's) tokens
      const { decoder_input_ids: _, ...prompt } = await readSafetensors(sample);
      const file = join(root, id, `prompt-${length}.safetensors`);
      await writeSafetensors(file, prompt);
      prompts.push(file);
    }
    const manifest = await worker.request('export_generation', { model: handle, backend: 'onnx', inputs: prompts[0], out_dir: join(root, id, 'onnx'), config: { dynamic: true } });
    expect(Object.keys(manifest.components)).toEqual(expect.arrayContaining(['prefill', 'decode']));
    for (const prompt of prompts) {
      const eager = await worker.request('generate_eager', { model: handle, inputs: prompt, max_new_tokens: NEW_TOKENS });
      const ours = await onnxGreedyGenerate(onnx, manifest.components, await readSafetensors(prompt), NEW_TOKENS, {
        decoderStartTokenId: manifest.config.decoder_start_token_id,
      });
      const match = matchTokens(eager.tokens, ours.tokens, eager.gaps);
      expect(match.failures, `${id} ${prompt}: eager ${JSON.stringify(eager.tokens)} vs ONNX ${JSON.stringify(ours.tokens)}`).toEqual([]);
      expect(ours.tokens.map((row) => row.length)).toEqual([NEW_TOKENS, NEW_TOKENS]);
    }
    await worker.request('unload', { handle });
  });
});
