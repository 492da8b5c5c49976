// The glue a vision-language model keeps outside its graphs, done here in TypeScript as generate does
// it in Python (get_image_features, then the merge): the image encoder's outputs the manifest's
// image_feature_rule names, each without its leading tokens, joined, then projected, and the
// projected features written over the image placeholder tokens' embeddings. The worker finds the rule
// per model (hf_exporters/image_features.py: the one that reproduces the captured projector input).
import { elementCount, type NamedTensors, type Tensor } from '../tensors/tensor.js';
import { toNumbers } from './token-ops.js';

/** Which image encoder outputs (flat names) feed the projector, each without its first tokens. */
export interface ImageFeatureRule {
  outputs: string[];
  drop_leading?: number;
}

export interface VisionMergeConfig {
  model_type?: string;
  image_token_id?: number;
  image_feature_rule?: ImageFeatureRule;
}

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

/** The projector's input under the manifest's ``image_feature_rule``. */
export function selectVisionFeatures(vision: NamedTensors, config: VisionMergeConfig): Tensor {
  const rule = config.image_feature_rule;
  if (!rule) {
    throw new Error(`the manifest config has no image_feature_rule for model type '${config.model_type}'; export it again (export_generation finds the rule)`);
  }
  const missing = rule.outputs.filter((name) => !vision[name]);
  if (missing.length) throw new Error(`the image feature rule reads ${missing.join(', ')}, which the image encoder did not return; it returned ${Object.keys(vision).join(', ')}`);
  const drop = rule.drop_leading ?? 0;
  return concatLastDim(rule.outputs.map((name) => (drop ? dropLeadingTokens(vision[name], drop) : vision[name])));
}

/** embeds [batch, seq, dim] with the rows at image placeholder tokens replaced, in order, by the
 * feature rows (masked_scatter); the counts must agree, as the model itself checks. */
export function scatterImageFeatures(embeds: Tensor, inputIds: Tensor, features: Tensor, imageTokenId: number): Tensor {
  const dim = embeds.shape.at(-1)!;
  if (features.shape.at(-1) !== dim) throw new Error(`image features are ${features.shape.at(-1)} wide, the token embeddings ${dim}`);
  const ids = toNumbers(inputIds);
  const slots = ids.reduce((n, id) => n + (id === imageTokenId ? 1 : 0), 0);
  const rows = elementCount(features.shape) / dim;
  if (slots !== rows) throw new Error(`the prompt has ${slots} image tokens (id ${imageTokenId}) but the image gives ${rows} features`);
  const out = Float32Array.from(floats(embeds));
  const source = floats(features);
  let next = 0;
  ids.forEach((id, position) => {
    if (id === imageTokenId) out.set(source.subarray(next * dim, ++next * dim), position * dim);
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
