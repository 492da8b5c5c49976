// The few tensor operations a greedy loop needs on the TypeScript side, on int64 ids and masks and
// float logits: argmax of the last position, a growing attention mask, positions as generate makes them.
import { valueAt, type Tensor } from '../tensors/tensor.js';

export const int64 = (shape: number[], values: number[]): Tensor => ({ dtype: 'int64', shape, data: BigInt64Array.from(values.map(BigInt)) });

export function toNumbers(tensor: Tensor): number[] {
  return Array.from({ length: tensor.data.length }, (_, i) => valueAt(tensor, i));
}

/** argmax over the vocabulary at the last position of logits [batch, seq, vocab]; also the gap
 * between the two best logits, for telling a tie from a wrong token. */
export function lastTokenArgmax(logits: Tensor): { tokens: number[]; gaps: number[] } {
  const [batch, seq, vocab] = logits.shape.length === 3 ? logits.shape : [logits.shape[0], 1, logits.shape[1]];
  const tokens: number[] = [];
  const gaps: number[] = [];
  for (let b = 0; b < batch; b++) {
    const base = (b * seq + seq - 1) * vocab;
    let best = -Infinity, second = -Infinity, arg = 0;
    for (let v = 0; v < vocab; v++) {
      const x = valueAt(logits, base + v);
      if (x > best) { second = best; best = x; arg = v; } else if (x > second) second = x;
    }
    tokens.push(arg);
    gaps.push(best - second);
  }
  return { tokens, gaps };
}

/** The mask with one more column of ones: the token just generated is attended to. */
export function growMask(mask: Tensor): Tensor {
  const [batch, seq] = mask.shape;
  const values = toNumbers(mask);
  const grown: number[] = [];
  for (let b = 0; b < batch; b++) grown.push(...values.slice(b * seq, (b + 1) * seq), 1);
  return int64([batch, seq + 1], grown);
}

/** Positions as generate computes them from the mask: a running count of real tokens, padding at 0. */
export function positionsFromMask(mask: Tensor): Tensor {
  const [batch, seq] = mask.shape;
  const values = toNumbers(mask);
  const positions: number[] = [];
  for (let b = 0; b < batch; b++) {
    let count = 0;
    for (let s = 0; s < seq; s++) {
      const real = values[b * seq + s] !== 0;
      if (real) count += 1;
      positions.push(real ? count - 1 : 0);
    }
  }
  return int64([batch, seq], positions);
}

/** The last column of a [batch, seq] tensor, plus ``add``. */
export function lastColumn(tensor: Tensor, add = 0): Tensor {
  const [batch, seq] = tensor.shape;
  const values = toNumbers(tensor);
  return int64([batch, 1], Array.from({ length: batch }, (_, b) => values[b * seq + seq - 1] + add));
}
