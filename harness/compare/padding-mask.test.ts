import { describe, expect, it } from 'vitest';
import type { Tensor } from '../tensors/tensor.js';
import { compareOutputs } from './compare.js';
import { paddingFilter } from './padding-mask.js';

const f32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'float32', shape, data: new Float32Array(values) });
const mask = (rows: number[][]): Tensor => ({ dtype: 'int64', shape: [rows.length, rows[0].length], data: BigInt64Array.from(rows.flat().map(BigInt)) });

describe('paddingFilter', () => {
  const leftPadded = mask([[1, 1], [0, 1]]);

  it('leaves out the padding positions of (batch, seq, ...) outputs and of cache tensors, nothing else', () => {
    const filter = paddingFilter(leftPadded)!;
    // logits (2, 2, 1): row 1 position 0 is padding
    const logits = Array.from({ length: 4 }, (_, i) => filter('logits', [2, 2, 1])!(i));
    expect(logits).toEqual([true, true, false, true]);
    // cache (2, 1 head, 2, 1): the same position, along dim 2
    const cache = Array.from({ length: 4 }, (_, i) => filter('past_key_values.0.key', [2, 1, 2, 1])!(i));
    expect(cache).toEqual([true, true, false, true]);
    // transformers >= 5.24 names the output field cache: the same layout under its new name
    const renamed = Array.from({ length: 4 }, (_, i) => filter('cache.0.key', [2, 1, 2, 1])!(i));
    expect(renamed).toEqual([true, true, false, true]);
    expect(filter('pooler_output', [2, 8])).toBeUndefined();
  });

  it('still fails a mismatch at a real position, and passes one only at padding', () => {
    const filter = paddingFilter(leftPadded);
    const eager = { logits: f32([2, 2, 1], [1, 2, 3, 4]) };
    expect(compareOutputs(eager, { logits: f32([2, 2, 1], [1, 2, 99, 4]) }, 'onnx', filter).ok).toBe(true);
    expect(compareOutputs(eager, { logits: f32([2, 2, 1], [1, 2, 3, 99]) }, 'onnx', filter).ok).toBe(false);
    expect(compareOutputs(eager, { logits: f32([2, 2, 1], [1, 2, 99, 4]) }, 'onnx').ok).toBe(false);
  });

  it('is not needed without padding', () => {
    expect(paddingFilter(mask([[1, 1], [1, 1]]))).toBeUndefined();
  });
});
