// With a padded attention mask, the outputs at padding positions are unspecified: a left-padded row's
// first positions attend to nothing, and eager, ONNX Runtime and XNNPACK each fill such fully masked
// rows their own way. No caller reads them, so the comparison with eager leaves them out; every
// real position is still compared exactly as before.
import { valueAt, type Tensor } from '../tensors/tensor.js';

/** For an output leaf, which flat indices to compare; undefined compares every element. */
export type ElementFilter = (name: string, shape: readonly number[]) => ((flat: number) => boolean) | undefined;

// Cache tensors are (batch, heads, sequence, head_dim) in transformers; other sequence outputs
// (logits, hidden states) are (batch, sequence, ...). transformers 5.24 renamed the output field
// past_key_values to cache (CausalLMOutputWithPast.cache), so eager leaves are cache.N.key there.
const sequenceDim = (name: string) => (/^(past_key_values|present|cache)\b/.test(name) ? 2 : 1);

export function paddingFilter(attentionMask: Tensor): ElementFilter | undefined {
  if (attentionMask.shape.length !== 2) return undefined;
  const [batch, seq] = attentionMask.shape;
  const real = (b: number, s: number) => valueAt(attentionMask, b * seq + s) !== 0;
  let padded = false;
  for (let i = 0; i < batch * seq; i++) padded ||= valueAt(attentionMask, i) === 0;
  if (!padded) return undefined;
  return (name, shape) => {
    const dim = sequenceDim(name);
    if (shape.length <= dim || shape[0] !== batch || shape[dim] !== seq) return undefined;
    const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const perBatch = shape.slice(1).reduce((a, b) => a * b, 1);
    return (flat) => real(Math.floor(flat / perBatch), Math.floor(flat / inner) % seq);
  };
}
