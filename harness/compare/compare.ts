// Leaf-by-leaf comparison of an exported artifact's outputs with eager PyTorch's: names, shapes and
// dtypes must match exactly; values within tolerance. Every result says how wrong, not only whether.
import { elementCount, isFloating, valueAt, type NamedTensors, type Tensor } from '../tensors/tensor.js';
import type { ElementFilter } from './padding-mask.js';
import { leafTolerance, toleranceFor, type LeafTolerance } from './tolerance.js';

export interface LeafComparison {
  name: string;
  ok: boolean;
  problem?: 'missing' | 'unexpected' | 'shape' | 'dtype' | 'value';
  expectedShape?: number[];
  actualShape?: number[];
  dtype?: string;
  /** The artifact's dtype, where it differs from eager's (``problem: 'dtype'``). */
  actualDtype?: string;
  /** What this leaf was held to: the backend's row, the leaf's scale and the absolute term they give. */
  tolerance?: LeafTolerance;
  maxAbsError: number;
  maxRelError: number;
  /** Multi-index of the element furthest out of tolerance (or of the largest error when all pass). */
  worstIndex?: number[];
  /** Share of elements outside tolerance, 0..1. */
  outOfToleranceShare: number;
}

export interface Comparison {
  ok: boolean;
  maxAbsError: number;
  maxRelError: number;
  leaves: LeafComparison[];
}

// Relative error uses this floor so exact zeros in eager do not turn tiny absolute errors into infinity.
const REL_EPS = 1e-7;

// Masks fill with the dtype's lowest value (torch.finfo(dtype).min); such a fill in one element
// would make the scale term, and so the whole leaf's bound, astronomically loose. Values this close
// to the dtype's limit are still compared, only left out of the scale (as are inf and NaN).
const SENTINEL_FRACTION = 0.5;
const MAX_FINITE: Record<string, number> = { float64: Number.MAX_VALUE, float32: 3.4028234663852886e38, bfloat16: 3.3895313892515355e38, float16: 65504 };

function unravel(flat: number, shape: number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return index;
}

function compareLeaf(name: string, expected: Tensor, actual: Tensor, backend: string, filter?: ElementFilter, modelType?: string): LeafComparison {
  const base = { name, expectedShape: expected.shape, actualShape: actual.shape, dtype: expected.dtype, maxAbsError: 0, maxRelError: 0, outOfToleranceShare: 0 };
  if (expected.shape.length !== actual.shape.length || expected.shape.some((d, i) => d !== actual.shape[i])) {
    return { ...base, ok: false, problem: 'shape', maxAbsError: Infinity, maxRelError: Infinity, outOfToleranceShare: 1 };
  }
  if (expected.dtype !== actual.dtype) {
    return { ...base, ok: false, problem: 'dtype', actualDtype: actual.dtype, maxAbsError: Infinity, maxRelError: Infinity, outOfToleranceShare: 1 };
  }
  const total = elementCount(expected.shape);
  const keep = filter?.(name, expected.shape);
  // The leaf's scale, from eager alone (the reference), over the elements that are compared.
  let scale = 0;
  if (isFloating(expected.dtype)) {
    const sentinel = SENTINEL_FRACTION * MAX_FINITE[expected.dtype];
    for (let i = 0; i < total; i++) {
      if (keep && !keep(i)) continue;
      const magnitude = Math.abs(valueAt(expected, i));
      if (magnitude < sentinel && magnitude > scale) scale = magnitude;
    }
  }
  const tolerance = leafTolerance(isFloating(expected.dtype) ? toleranceFor(backend, expected.dtype, modelType) : { atol: 0, rtol: 0, scaleTol: 0 }, scale);
  let maxAbs = 0, maxRel = 0, bad = 0, n = 0, worst = -1, worstExcess = -Infinity;
  for (let i = 0; i < total; i++) {
    if (keep && !keep(i)) continue;
    n++;
    const e = valueAt(expected, i), a = valueAt(actual, i);
    if (Number.isNaN(e) && Number.isNaN(a)) continue; // NaN where eager has NaN is agreement
    const abs = Number.isNaN(e) !== Number.isNaN(a) ? Infinity : e === a ? 0 : Math.abs(a - e);
    const rel = abs / Math.max(Math.abs(e), REL_EPS);
    // An infinite eager value must be matched exactly: rtol * inf would allow anything (inf - inf is NaN).
    const bound = Number.isFinite(e) ? tolerance.effectiveAtol + tolerance.rtol * Math.abs(e) : 0;
    const excess = abs - bound;
    if (abs > maxAbs) maxAbs = abs;
    if (rel > maxRel) maxRel = rel;
    if (excess > 0) bad++;
    if (excess > worstExcess) { worstExcess = excess; worst = i; }
  }
  return {
    ...base,
    ok: bad === 0,
    problem: bad === 0 ? undefined : 'value',
    tolerance,
    maxAbsError: maxAbs,
    maxRelError: maxRel,
    worstIndex: worst >= 0 ? unravel(worst, expected.shape) : undefined,
    outOfToleranceShare: n ? bad / n : 0,
  };
}

/** ``filter`` leaves out elements whose values are unspecified (see padding-mask.ts). */
/** ``modelType``: the architecture whose row may override the generic tolerances (tolerance.ts). */
export function compareOutputs(expected: NamedTensors, actual: NamedTensors, backend: string, filter?: ElementFilter, modelType?: string): Comparison {
  const leaves: LeafComparison[] = [];
  for (const [name, tensor] of Object.entries(expected)) {
    const other = actual[name];
    leaves.push(other
      ? compareLeaf(name, tensor, other, backend, filter, modelType)
      : { name, ok: false, problem: 'missing', expectedShape: tensor.shape, maxAbsError: Infinity, maxRelError: Infinity, outOfToleranceShare: 1 });
  }
  for (const name of Object.keys(actual)) {
    if (!(name in expected)) leaves.push({ name, ok: false, problem: 'unexpected', actualShape: actual[name].shape, maxAbsError: Infinity, maxRelError: Infinity, outOfToleranceShare: 1 });
  }
  return {
    ok: leaves.length > 0 && leaves.every((leaf) => leaf.ok),
    maxAbsError: Math.max(0, ...leaves.map((l) => l.maxAbsError)),
    maxRelError: Math.max(0, ...leaves.map((l) => l.maxRelError)),
    leaves,
  };
}
