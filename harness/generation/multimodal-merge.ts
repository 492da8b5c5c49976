// The glue a multimodal model keeps outside its graphs, done here in TypeScript as generate does it
// in Python (get_image_features / get_audio_features, then the merge): the modal encoder's outputs
// the manifest's rule names, each without its leading tokens, joined, folded to the projector's
// width where the rule says so, then projected, and the projected features written over the
// modality's placeholder tokens' embeddings. The worker finds the rule per model
// (hf_exporters/image_features.py: the one that reproduces the captured projector input).
import { elementCount, type NamedTensors, type Tensor } from '../tensors/tensor.js';
import { toNumbers } from './token-ops.js';

/** Which encoder outputs (flat names) feed the projector, each without its first tokens; with
 * ``width``, folded into rows of that width (``keep_batch``: per example). */
export interface FeatureRule {
  outputs: string[];
  drop_leading?: number;
  width?: number;
  keep_batch?: boolean;
}

export interface MergeConfig {
  model_type?: string;
  image_token_id?: number;
  audio_token_id?: number;
  image_feature_rule?: FeatureRule;
  audio_feature_rule?: FeatureRule;
}

/** The modal encoders the loop merges, image first, as the worker picks them. */
export const MODAL_ENCODERS = ['image_encoder', 'audio_encoder'] as const;
export type ModalEncoder = typeof MODAL_ENCODERS[number];
const modality = (encoder: ModalEncoder) => encoder.replace(/_encoder$/, '') as 'image' | 'audio';
/** The manifest config's key for ``encoder``'s rule: ``image_feature_rule`` / ``audio_feature_rule``. */
export const ruleKey = (encoder: ModalEncoder) => `${modality(encoder)}_feature_rule` as const;
/** The manifest config's key for the token ``encoder``'s features go over: ``image_token_id`` / ``audio_token_id``. */
export const placeholderKey = (encoder: ModalEncoder) => `${modality(encoder)}_token_id` as const;

const float32 = (shape: number[], data: Float32Array): Tensor => ({ dtype: 'float32', shape, data });

function floats(tensor: Tensor): Float32Array {
  if (tensor.dtype !== 'float32') throw new Error(`the multimodal merge works on float32 tensors, got ${tensor.dtype}; export the vision parts in float32`);
  return tensor.data as Float32Array;
}

/** [batch, tokens, dim] without its first ``drop`` tokens. */
export function dropLeadingTokens(tensor: Tensor, drop: number): Tensor {
  const [batch, tokens, dim] = tensor.shape;
  const source = floats(tensor);
  const out = new Float32Array(batch * (tokens - drop) * dim);
  for (let b = 0; b < batch; b++) out.set(source.subarray((b * tokens + drop) * dim, (b + 1) * tokens * dim), b * (tokens - drop) * dim);
  return float32([batch, tokens - drop, dim], out);
}

/** Tensors of one shape but the last dim, joined along the last dim. */
export function concatLastDim(tensors: Tensor[]): Tensor {
  if (tensors.length === 1) return tensors[0];
  const rows = elementCount(tensors[0].shape.slice(0, -1));
  const widths = tensors.map((t) => t.shape.at(-1)!);
  const width = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    let offset = r * width;
    tensors.forEach((t, i) => {
      out.set(floats(t).subarray(r * widths[i], (r + 1) * widths[i]), offset);
      offset += widths[i];
    });
  }
  return float32([...tensors[0].shape.slice(0, -1), width], out);
}

/** ``tensor`` as rows of ``width`` (``[batch, -1, width]`` when ``keepBatch``), as the model's reshape. */
export function foldToWidth(tensor: Tensor, width: number, keepBatch: boolean): Tensor {
  const total = elementCount(tensor.shape);
  const rowsPer = keepBatch ? tensor.shape[0] * width : width;
  if (total % rowsPer !== 0) throw new Error(`features of shape [${tensor.shape.join(', ')}] do not fold into rows of ${width}`);
  return float32(keepBatch ? [tensor.shape[0], total / rowsPer, width] : [total / width, width], floats(tensor));
}

/** The projector's input from ``encoder``'s outputs under the manifest's rule for it
 * (``image_feature_rule`` / ``audio_feature_rule``). */
export function selectFeatures(outputs: NamedTensors, config: MergeConfig, encoder: ModalEncoder = 'image_encoder'): Tensor {
  const key = ruleKey(encoder);
  const rule = config[key];
  if (!rule) {
    throw new Error(`the manifest config has no ${key} for model type '${config.model_type}'; export it again (export_generation finds the rule)`);
  }
  const missing = rule.outputs.filter((name) => !outputs[name]);
  if (missing.length) throw new Error(`the feature rule reads ${missing.join(', ')}, which the ${encoder} did not return; it returned ${Object.keys(outputs).join(', ')}`);
  const drop = rule.drop_leading ?? 0;
  const joined = concatLastDim(rule.outputs.map((name) => (drop ? dropLeadingTokens(outputs[name], drop) : outputs[name])));
  return rule.width ? foldToWidth(joined, rule.width, rule.keep_batch ?? false) : joined;
}

/** The token id ``encoder``'s features go over (``image_token_id`` / ``audio_token_id``). */
export function placeholderToken(config: MergeConfig, encoder: ModalEncoder): number | undefined {
  return config[placeholderKey(encoder)];
}

/** embeds [batch, seq, dim] with the rows at placeholder tokens replaced, in order, by the
 * feature rows (masked_scatter); the counts must agree, as the model itself checks. */
export function scatterFeatures(embeds: Tensor, inputIds: Tensor, features: Tensor, tokenId: number): Tensor {
  const dim = embeds.shape.at(-1)!;
  if (features.shape.at(-1) !== dim) throw new Error(`the features are ${features.shape.at(-1)} wide, the token embeddings ${dim}`);
  const ids = toNumbers(inputIds);
  const slots = ids.reduce((n, id) => n + (id === tokenId ? 1 : 0), 0);
  const rows = elementCount(features.shape) / dim;
  if (slots !== rows) throw new Error(`the prompt has ${slots} placeholder tokens (id ${tokenId}) but the encoder gives ${rows} features`);
  const out = Float32Array.from(floats(embeds));
  const source = floats(features);
  let next = 0;
  ids.forEach((id, position) => {
    if (id === tokenId) out.set(source.subarray(next * dim, ++next * dim), position * dim);
  });
  return float32(embeds.shape, out);
}

/** The last position of [batch, seq, dim], kept as [batch, 1, dim]. */
export function lastPosition(tensor: Tensor): Tensor {
  const [batch, seq, dim] = tensor.shape;
  const source = floats(tensor);
  const out = new Float32Array(batch * dim);
  for (let b = 0; b < batch; b++) out.set(source.subarray((b * seq + seq - 1) * dim, (b * seq + seq) * dim), b * dim);
  return float32([batch, 1, dim], out);
}
