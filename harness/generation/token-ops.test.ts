import { describe, expect, it } from 'vitest';
import { growMask, int64, lastColumn, lastTokenArgmax, positionsFromMask, toNumbers } from './token-ops.js';

describe('greedy-loop tensor ops', () => {
  it('argmax at the last position, with the top-2 gap', () => {
    const logits = { dtype: 'float32' as const, shape: [2, 2, 3], data: new Float32Array([9, 9, 9, 0, 5, 4, 9, 9, 9, 7, 1, 6.5]) };
    const { tokens, gaps } = lastTokenArgmax(logits);
    expect(tokens).toEqual([1, 0]);
    expect(gaps[0]).toBeCloseTo(1);
    expect(gaps[1]).toBeCloseTo(0.5);
  });

  it('grows a left-padded mask and derives positions as generate does', () => {
    const mask = int64([2, 3], [1, 1, 1, 0, 1, 1]);
    expect(toNumbers(positionsFromMask(mask))).toEqual([0, 1, 2, 0, 0, 1]);
    const grown = growMask(mask);
    expect(grown.shape).toEqual([2, 4]);
    expect(toNumbers(grown)).toEqual([1, 1, 1, 1, 0, 1, 1, 1]);
    expect(toNumbers(lastColumn(positionsFromMask(mask), 1))).toEqual([3, 2]);
  });
});
