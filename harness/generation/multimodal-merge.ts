// The glue a vision-language model keeps outside its graphs, done here in TypeScript as generate does
// it in Python (get_image_features, then the merge): pick the vision layer(s), drop the class token
// under the "default" strategy, project, and write the projected features over the image placeholder
// tokens' embeddings. Each family has its own rule; LLaVA's is the one the reference describes.
import { elementCount, type NamedTensors, type Tensor } from '../tensors/tensor.js';
import { toNumbers } from './token-ops.js';

export interface VisionMergeConfig {
  model_type?: string;
  image_token_id?: number;
  vision_feature_layer?: number | number[];
  vision_feature_select_strategy?: string;
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

/** LLaVA's feature selection: hidden_states at vision_feature_layer (negative counts from the end),
 * without the class token under the "default" strategy, joined when several layers are chosen. */
export function selectVisionFeatures(vision: NamedTensors, config: VisionMergeConfig): Tensor {
  if (config.model_type !== 'llava') {
    throw new Error(`the TypeScript loop has no multimodal merge rule for model type '${config.model_type}' (llava only)`);
  }
  const depth = Object.keys(vision).filter((name) => name.startsWith('hidden_states.')).length;
  if (!depth) throw new Error(`the image encoder returned no hidden_states.*; its outputs are ${Object.keys(vision).join(', ')}`);
  const layers = [config.vision_feature_layer ?? -2].flat();
  const selected = layers.map((layer) => vision[`hidden_states.${((layer % depth) + depth) % depth}`]);
  return concatLastDim(config.vision_feature_select_strategy === 'default' ? selected.map((h) => dropLeadingTokens(h, 1)) : selected);
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
