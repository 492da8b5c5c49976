import { describe, expect, it } from 'vitest';
import type { Tensor } from '../tensors/tensor.js';
import { compareOutputs } from './compare.js';

const f32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'float32', shape, data: new Float32Array(values) });

describe('compareOutputs', () => {
  it('passes within tolerance and records the error size', () => {
    const result = compareOutputs({ logits: f32([2], [1, 2]) }, { logits: f32([2], [1.00005, 2]) }, 'dynamo');
    expect(result.ok).toBe(true);
    expect(result.maxAbsError).toBeCloseTo(5e-5, 6);
    expect(result.leaves[0].outOfToleranceShare).toBe(0);
  });

  it('reports how wrong a mismatch is: max errors, worst index, share out of tolerance', () => {
    const expected = f32([2, 2], [0, 1, 2, 3]);
    const actual = f32([2, 2], [0, 1, 2.5, 3.001]);
    const [leaf] = compareOutputs({ x: expected }, { x: actual }, 'dynamo').leaves;
    expect(leaf.ok).toBe(false);
    expect(leaf.problem).toBe('value');
    expect(leaf.maxAbsError).toBeCloseTo(0.5, 5);
    expect(leaf.maxRelError).toBeCloseTo(0.25, 5);
    expect(leaf.worstIndex).toEqual([1, 0]);
    expect(leaf.outOfToleranceShare).toBe(0.5);
  });

  it('fails on shape, dtype, missing and unexpected leaves', () => {
    const result = compareOutputs(
      { a: f32([2], [1, 2]), b: f32([1], [1]), c: f32([1], [1]) },
      { a: f32([1, 2], [1, 2]), b: { dtype: 'float16', shape: [1], data: new Uint16Array([0x3c00]) }, d: f32([1], [1]) },
      'dynamo',
    );
    expect(result.ok).toBe(false);
    expect(Object.fromEntries(result.leaves.map((l) => [l.name, l.problem]))).toEqual({ a: 'shape', b: 'dtype', c: 'missing', d: 'unexpected' });
    expect(result.leaves.find((l) => l.name === 'b')).toMatchObject({ dtype: 'float32', actualDtype: 'float16' });
  });

  it('needs integer outputs to match exactly and treats NaN in both as agreement', () => {
    const ints = compareOutputs(
      { ids: { dtype: 'int64', shape: [2], data: new BigInt64Array([1n, 2n]) } },
      { ids: { dtype: 'int64', shape: [2], data: new BigInt64Array([1n, 3n]) } },
      'dynamo',
    );
    expect(ints.ok).toBe(false);
    expect(compareOutputs({ x: f32([2], [NaN, 1]) }, { x: f32([2], [NaN, 1]) }, 'dynamo').ok).toBe(true);
    expect(compareOutputs({ x: f32([1], [NaN]) }, { x: f32([1], [0]) }, 'dynamo').ok).toBe(false);
  });

  it('never passes an empty comparison', () => {
    expect(compareOutputs({}, {}, 'dynamo').ok).toBe(false);
  });
});
