// Greedy generation over exported ONNX components, run by onnxruntime-node in the harness itself:
// the prompt through prefill, then one token at a time through decode, carrying the cache as flat
// named tensors (each step's present.* fed back as past_key_values.*). It proves the components are
// usable from another language, not only from the Python that exported them.
import { byLeafName, type OnnxRunner } from '../runtimes/onnx-runner.js';
import type { NamedTensors, Tensor } from '../tensors/tensor.js';
import { growMask, int64, lastColumn, lastTokenArgmax, positionsFromMask } from './token-ops.js';

export interface ComponentInfo {
  artifact: string;
  /** Ordered input names and output names of the ONNX file; ``leaves`` the eager leaf path of each output. */
  inputs: string[];
  outputs: string[];
  leaves?: string[];
}

export interface GenerateResult {
  /** New token ids, [batch][step]. */
  tokens: number[][];
  /** Per row and step, the gap between the two best logits (a small gap is a tie, not an error). */
  gaps: number[][];
}

export class GenerationInputError extends Error {}

function feed(component: string, info: ComponentInfo, known: NamedTensors, present: NamedTensors, encoder: NamedTensors): NamedTensors {
  const feeds: NamedTensors = {};
  for (const name of info.inputs) {
    const value = known[name]
      ?? (name.startsWith('past_key_values.') ? present[`present${name.slice('past_key_values'.length)}`] : undefined)
      ?? (name.startsWith('encoder_outputs.') ? encoder[name.slice('encoder_outputs.'.length)] : undefined);
    if (!value) {
      throw new GenerationInputError(`no value for input '${name}' of component '${component}'; the loop feeds ${Object.keys(known).join(', ')}, past_key_values.* from present.*, encoder_outputs.* from the encoder`);
    }
    feeds[name] = value;
  }
  return feeds;
}

async function run(onnx: OnnxRunner, info: ComponentInfo, feeds: NamedTensors): Promise<NamedTensors> {
  const outputs = await onnx.run(info.artifact, feeds);
  return byLeafName(outputs, info.outputs, info.leaves ?? info.outputs);
}

function logitsOf(outputs: NamedTensors): Tensor {
  const logits = outputs.logits ?? outputs.output;
  if (!logits) throw new GenerationInputError(`a component returned no logits; its outputs are ${Object.keys(outputs).join(', ')}`);
  return logits;
}

export async function onnxGreedyGenerate(
  onnx: OnnxRunner, components: Record<string, ComponentInfo>, prompt: NamedTensors, maxNewTokens: number,
  options: { decoderStartTokenId?: number } = {},
): Promise<GenerateResult> {
  const { prefill, decode, encoder } = components;
  if (!prefill || !decode) {
    throw new GenerationInputError(`the ONNX loop drives prefill + decode components; got ${Object.keys(components).join(', ')}`);
  }
  const batch = Object.values(prompt)[0].shape[0];
  let mask = prompt.attention_mask;
  const known: NamedTensors = { ...prompt };
  if (!known.position_ids && mask) known.position_ids = positionsFromMask(mask);
  const encoderOutputs = encoder ? await run(onnx, encoder, feed('encoder', encoder, known, {}, {})) : {};
  const tokenInput = decode.inputs.includes('decoder_input_ids') ? 'decoder_input_ids' : 'input_ids';
  if (tokenInput === 'decoder_input_ids') {
    if (options.decoderStartTokenId === undefined) throw new GenerationInputError('an encoder-decoder loop needs the decoder start token id');
    known.decoder_input_ids = int64([batch, 1], Array(batch).fill(options.decoderStartTokenId));
  }
  let outputs = await run(onnx, prefill, feed('prefill', prefill, known, {}, encoderOutputs));
  let positions = known.position_ids;
  const tokens: number[][] = Array.from({ length: batch }, () => []);
  const gaps: number[][] = Array.from({ length: batch }, () => []);
  for (let step = 0; step < maxNewTokens; step++) {
    const next = lastTokenArgmax(logitsOf(outputs));
    next.tokens.forEach((t, b) => tokens[b].push(t));
    next.gaps.forEach((g, b) => gaps[b].push(g));
    if (step === maxNewTokens - 1) break;
    // a decoder-only mask grows with each token; an encoder-decoder's mask is the encoder's and stays
    if (mask && tokenInput === 'input_ids') mask = growMask(mask);
    const stepKnown: NamedTensors = { [tokenInput]: int64([batch, 1], next.tokens) };
    if (mask) stepKnown.attention_mask = mask;
    if (positions) {
      positions = lastColumn(positions, 1);
      stepKnown.position_ids = positions;
    }
    outputs = await run(onnx, decode, feed('decode', decode, stepKnown, outputs, encoderOutputs));
  }
  return { tokens, gaps };
}
