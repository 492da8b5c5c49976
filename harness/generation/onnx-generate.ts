// Greedy generation over exported ONNX components, run by onnxruntime-node in the harness itself:
// the prompt through prefill, then one token at a time through decode, carrying the cache as flat
// named tensors (each step's present.* fed back as past_key_values.*). It proves the components are
// usable from another language, not only from the Python that exported them.
import { byLeafName, type OnnxRunner } from '../runtimes/onnx-runner.js';
import type { NamedTensors, Tensor } from '../tensors/tensor.js';
import type { GenerationManifest } from '../worker/protocol.js';
import { lastPosition, MODAL_ENCODERS, placeholderKey, placeholderToken, scatterFeatures, selectFeatures } from './multimodal-merge.js';
import { growMask, int64, lastColumn, lastTokenArgmax, positionsFromMask } from './token-ops.js';

export interface ComponentInfo {
  artifact: string;
  /** Ordered input names and output names of the ONNX file; ``leaves`` the eager leaf path of each output. */
  inputs: string[];
  outputs: string[];
  leaves?: string[];
}

/** The parts of generation.json the loop reads. */
export type LoopManifest = Pick<GenerationManifest, 'config' | 'prefill_by_length'> & { components: Record<string, ComponentInfo> };

/** What the loop itself feeds each decode step. */
const PER_STEP = new Set(['input_ids', 'decoder_input_ids', 'attention_mask', 'position_ids', 'token_type_ids']);
const MULTIMODAL_PARTS = new Set(['image_encoder', 'audio_encoder', 'embed_tokens', 'language_model', 'lm_head', 'decode', 'encoder']);

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

/** The components for this prompt: a model whose prefill runs only at its traced length has one
 * per prompt length (``prefill_by_length``, see the worker's export_generation). */
export function componentsFor(manifest: LoopManifest, prompt: NamedTensors): Record<string, ComponentInfo> {
  const components = Object.fromEntries(Object.entries(manifest.components).filter(([name]) => !name.startsWith('prefill@')));
  const byLength = manifest.prefill_by_length;
  if (byLength) {
    const length = String(prompt.input_ids.shape[1]);
    const chosen = byLength[length];
    if (!chosen) throw new GenerationInputError(`this model's prefill runs only at the prompt lengths it was exported for (${Object.keys(byLength).join(', ')}), not ${length}; export with this prompt in more_inputs`);
    components.prefill = manifest.components[chosen];
  }
  return components;
}

/** The multimodal parts on the prompt: the image (else audio) encoder, feature selection (the
 * manifest's image_feature_rule / audio_feature_rule), projector, token embeddings, the merge, the
 * language model, then lm_head on the last position. */
async function multimodalPrefill(onnx: OnnxRunner, components: Record<string, ComponentInfo>, manifest: LoopManifest, known: NamedTensors): Promise<NamedTensors> {
  const encoderName = MODAL_ENCODERS.find((name) => components[name]);
  const { embed_tokens: embed, language_model: language, lm_head: head } = components;
  const projectorName = Object.keys(components).find((name) => !MULTIMODAL_PARTS.has(name));
  if (!encoderName || !embed || !language || !head || !projectorName) {
    throw new GenerationInputError(`a multimodal loop needs an image_encoder or audio_encoder, a projector, embed_tokens, language_model and lm_head; got ${Object.keys(components).join(', ')}`);
  }
  const token = placeholderToken(manifest.config, encoderName);
  if (token === undefined) throw new GenerationInputError(`the manifest config has no ${placeholderKey(encoderName)} for the merge`);
  const encoder = components[encoderName];
  const encoded = await run(onnx, encoder, feed(encoderName, encoder, known, {}, {}));
  const projector = components[projectorName];
  const [featuresInput, ...others] = projector.inputs;
  const projectorFeeds = { ...feed(projectorName, { ...projector, inputs: others }, known, {}, {}), [featuresInput]: selectFeatures(encoded, manifest.config, encoderName) };
  const features = (await run(onnx, projector, projectorFeeds)).output;
  const embeds = (await run(onnx, embed, { [embed.inputs[0]]: known.input_ids })).output;
  const merged = { ...known, inputs_embeds: scatterFeatures(embeds, known.input_ids, features, token) };
  const hidden = await run(onnx, language, feed('language_model', language, merged, {}, {}));
  const logits = (await run(onnx, head, { [head.inputs[0]]: lastPosition(hidden.last_hidden_state) })).output;
  return { logits, ...Object.fromEntries(Object.entries(hidden).filter(([name]) => name.startsWith('present.'))) };
}

export async function onnxGreedyGenerate(onnx: OnnxRunner, manifest: LoopManifest, prompt: NamedTensors, maxNewTokens: number): Promise<GenerateResult> {
  const components = componentsFor(manifest, prompt);
  const { prefill, decode, encoder } = components;
  const multimodal = !prefill && Boolean(components.language_model);
  if ((!prefill && !multimodal) || !decode) {
    throw new GenerationInputError(`the ONNX loop drives prefill (or the multimodal parts) + decode; got ${Object.keys(components).join(', ')}`);
  }
  const batch = Object.values(prompt)[0].shape[0];
  let mask = prompt.attention_mask;
  const known: NamedTensors = { ...prompt };
  if (!known.position_ids && mask) known.position_ids = positionsFromMask(mask);
  const encoderOutputs = encoder ? await run(onnx, encoder, feed('encoder', encoder, known, {}, {})) : {};
  const tokenInput = decode.inputs.includes('decoder_input_ids') ? 'decoder_input_ids' : 'input_ids';
  if (tokenInput === 'decoder_input_ids') {
    const start = manifest.config.decoder_start_token_id;
    if (start === undefined) throw new GenerationInputError('an encoder-decoder loop needs the decoder start token id (config.decoder_start_token_id, or bos_token_id as generate falls back to)');
    known.decoder_input_ids = int64([batch, 1], Array(batch).fill(start));
  }
  let outputs = multimodal
    ? await multimodalPrefill(onnx, components, manifest, known)
    : await run(onnx, prefill, feed('prefill', prefill, known, {}, encoderOutputs));
  let positions = known.position_ids;
  // a prompt input the decode step also takes and no step changes (Qwen2-Audio's feature mask):
  // generate passes the prompt's kwargs on at every step
  const constant = Object.fromEntries(decode.inputs.filter((name) => prompt[name] && !PER_STEP.has(name)).map((name) => [name, prompt[name]]));
  const tokens: number[][] = Array.from({ length: batch }, () => []);
  const gaps: number[][] = Array.from({ length: batch }, () => []);
  for (let step = 0; step < maxNewTokens; step++) {
    const next = lastTokenArgmax(logitsOf(outputs));
    next.tokens.forEach((t, b) => tokens[b].push(t));
    next.gaps.forEach((g, b) => gaps[b].push(g));
    if (step === maxNewTokens - 1) break;
    // a decoder-only mask grows with each token; an encoder-decoder's mask is the encoder's and stays
    if (mask && tokenInput === 'input_ids') mask = growMask(mask);
    const stepKnown: NamedTensors = { ...constant, [tokenInput]: int64([batch, 1], next.tokens) };
    if (mask) stepKnown.attention_mask = mask;
    // as generate extends them: the new token takes the last prompt token's type
    if (prompt.token_type_ids) stepKnown.token_type_ids = lastColumn(prompt.token_type_ids);
    if (positions) {
      positions = lastColumn(positions, 1);
      stepKnown.position_ids = positions;
    }
    outputs = await run(onnx, decode, feed('decode', decode, stepKnown, outputs, encoderOutputs));
  }
  return { tokens, gaps };
}
