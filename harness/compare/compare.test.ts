import { describe, expect, it } from 'vitest';
import type { Tensor } from '../tensors/tensor.js';
import { compareOutputs } from './compare.js';
import { parseRows, toleranceFor } from './tolerance.js';

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

  describe('a bound that scales with the leaf', () => {
    // A row of logits: one near zero carrying the rounding error of the large ones around it.
    const row = (magnitude: number) => [magnitude, -magnitude / 2, 0.01 * magnitude, 0.001];
    const withError = (values: number[], error: number) => values.map((v, i) => (i === 3 ? v + error : v));

    it('passes an error of 1.5e-4 on a leaf of magnitude 30, where a fixed atol of 1e-4 failed it', () => {
      const values = row(30);
      const [leaf] = compareOutputs({ logits: f32([4], values) }, { logits: f32([4], withError(values, 1.5e-4)) }, 'onnx').leaves;
      expect(leaf.ok).toBe(true);
      expect(leaf.tolerance?.scale).toBe(30);
      expect(leaf.tolerance?.effectiveAtol).toBeCloseTo(1e-4 + 30 * toleranceFor('onnx', 'float32').scaleTol, 10);
      // without the scale term this element is out: |e| = 0.001 gives rtol nothing to add
      expect(1.5e-4 > leaf.tolerance!.atol + leaf.tolerance!.rtol * 0.001).toBe(true);
    });

    it('fails the same error on a leaf of magnitude 0.1', () => {
      const values = row(0.1);
      const [leaf] = compareOutputs({ logits: f32([4], values) }, { logits: f32([4], withError(values, 1.5e-4)) }, 'onnx').leaves;
      expect(leaf.ok).toBe(false);
      expect(leaf.problem).toBe('value');
      expect(leaf.worstIndex).toEqual([3]);
      expect(leaf.tolerance?.scale).toBeCloseTo(0.1, 6);
    });

    it('fails a 1% error on one logit of a leaf of magnitude 30', () => {
      const values = row(30);
      const wrong = values.map((v, i) => (i === 2 ? v * 1.01 : v)); // 0.3 * 1.01: off by 3e-3
      expect(compareOutputs({ logits: f32([4], values) }, { logits: f32([4], wrong) }, 'executorch').ok).toBe(false);
    });

    it('takes the scale over the compared elements only, and not from inf, NaN or a finfo.min mask fill', () => {
      const values = [30, 0.001];
      const filter = () => (i: number) => i === 1; // the 30 is at a padding position
      const [masked] = compareOutputs({ x: f32([2], values) }, { x: f32([2], [99, 0.001 + 1.5e-4]) }, 'onnx', filter).leaves;
      expect(masked.tolerance?.scale).toBeCloseTo(0.001, 9);
      expect(masked.ok).toBe(false);
      const fill = -3.4028234663852886e38;
      const [leaf] = compareOutputs({ x: f32([4], [fill, Infinity, NaN, 0.05]) }, { x: f32([4], [fill, Infinity, NaN, 0.05 + 1.5e-4]) }, 'onnx').leaves;
      expect(leaf.tolerance?.scale).toBeCloseTo(0.05, 6);
      expect(leaf.ok).toBe(false);
    });

    it('keeps NaN handling, and fails a finite value where eager has inf (rtol * inf once let it through)', () => {
      expect(compareOutputs({ x: f32([2], [Infinity, 30]) }, { x: f32([2], [Infinity, 30]) }, 'onnx').ok).toBe(true);
      expect(compareOutputs({ x: f32([2], [Infinity, 30]) }, { x: f32([2], [3e38, 30]) }, 'onnx').ok).toBe(false);
      expect(compareOutputs({ x: f32([2], [NaN, 30]) }, { x: f32([2], [30, 30]) }, 'onnx').ok).toBe(false);
      expect(compareOutputs({ x: f32([2], [1, 30]) }, { x: f32([2], [NaN, 30]) }, 'onnx').ok).toBe(false);
    });

    it('keeps integer and bool leaves exact whatever their magnitude', () => {
      const ids = (values: bigint[]) => ({ dtype: 'int64' as const, shape: [2], data: new BigInt64Array(values) });
      const [leaf] = compareOutputs({ ids: ids([1000000n, 2n]) }, { ids: ids([1000000n, 3n]) }, 'onnx').leaves;
      expect(leaf.ok).toBe(false);
      expect(leaf.tolerance).toMatchObject({ atol: 0, rtol: 0, effectiveAtol: 0 });
      const mask = (values: number[]) => ({ dtype: 'bool' as const, shape: [2], data: new Uint8Array(values) });
      expect(compareOutputs({ m: mask([1, 0]) }, { m: mask([1, 1]) }, 'onnx').ok).toBe(false);
    });

    it('holds two runtimes of one artifact to the fixed bound, with no scale term', () => {
      expect(toleranceFor('onnx:runtimes', 'float32')).toEqual({ atol: 1e-4, rtol: 1e-4, scaleTol: 0 });
      const values = row(30);
      expect(compareOutputs({ logits: f32([4], values) }, { logits: f32([4], withError(values, 1.5e-4)) }, 'onnx:runtimes').ok).toBe(false);
    });
  });

  it('rejects a tolerance row without a scaleTol or with a negative number, naming the row', () => {
    expect(() => parseRows({ rows: [{ backend: '*', dtype: 'float32', atol: 1e-4, rtol: 1e-4, reason: 'r' }] }, 'tolerances.json'))
      .toThrow(/tolerances.json: row 0 lacks 'scaleTol'/);
    expect(() => parseRows({ rows: [{ backend: '*', dtype: 'float32', atol: 1e-4, rtol: 1e-4, scaleTol: -1, reason: 'r' }] }, 'tolerances.json'))
      .toThrow(/row 0 \(\* float32\): 'scaleTol' must be a number >= 0/);
  });
});
