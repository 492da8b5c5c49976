import { describe, expect, it } from 'vitest';
import { compareOutputs } from '../compare/compare.js';
import type { Tensor } from '../tensors/tensor.js';
import { leafError, leafErrors } from './leaf-error.js';

const f32 = (shape: number[]): Tensor => ({ dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });

describe('leafError', () => {
  it('names a shape mismatch with both shapes, never as an infinite error', () => {
    const [leaf] = compareOutputs({ logits: f32([2, 7, 256]) }, { logits: f32([2, 1, 256]) }, 'dynamo').leaves;
    expect(leafError(leaf)).toBe('logits: shape [2,1,256], eager [2,7,256]');
  });

  it('names a dtype mismatch with both dtypes, and the runtime compared against', () => {
    const half: Tensor = { dtype: 'float16', shape: [2], data: new Uint16Array(2) };
    const [leaf] = compareOutputs({ x: f32([2]) }, { x: half }, 'onnx').leaves;
    expect(leafError(leaf, 'onnxruntime-node')).toBe('x: dtype float16, onnxruntime-node float32');
  });

  it('says how far off a value mismatch is, and where, and lists missing and extra outputs', () => {
    const actual: Tensor = { dtype: 'float32', shape: [2], data: new Float32Array([0, 0.5]) };
    const comparison = compareOutputs({ a: f32([2]), b: f32([3]) }, { a: actual, c: f32([1]) }, 'dynamo');
    const text = leafErrors(comparison.leaves.filter((l) => !l.ok));
    expect(text).toBe([
      'a: max abs 5.00e-1, max rel 5.00e+6 at [1] against eager; 50.0% of elements out of tolerance',
      "b: missing from the artifact's outputs (eager has it, shape [3])",
      'c: an output eager does not have (shape [1])',
    ].join('\n'));
  });
});
