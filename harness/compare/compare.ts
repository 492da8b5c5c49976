// Leaf-by-leaf comparison of an exported artifact's outputs with eager PyTorch's: names, shapes and
// dtypes must match exactly; values within tolerance. Every result says how wrong, not only whether.
import { elementCount, isFloating, valueAt, type NamedTensors, type Tensor } from '../tensors/tensor.js';
import type { ElementFilter } from './padding-mask.js';
import { toleranceFor, type Tolerance } from './tolerance.js';

export interface LeafComparison {
  name: string;
  ok: boolean;
  problem?: 'missing' | 'unexpected' | 'shape' | 'dtype' | 'value';
  expectedShape?: number[];
  actualShape?: number[];
  dtype?: string;
  /** The artifact's dtype, where it differs from eager's (``problem: 'dtype'``). */
  actualDtype?: string;
  tolerance?: Tolerance;
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

function unravel(flat: number, shape: number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return index;
}

function compareLeaf(name: string, expected: Tensor, actual: Tensor, backend: string, filter?: ElementFilter): LeafComparison {
  const base = { name, expectedShape: expected.shape, actualShape: actual.shape, dtype: expected.dtype, maxAbsError: 0, maxRelError: 0, outOfToleranceShare: 0 };
  if (expected.shape.length !== actual.shape.length || expected.shape.some((d, i) => d !== actual.shape[i])) {
    return { ...base, ok: false, problem: 'shape', maxAbsError: Infinity, maxRelError: Infinity, outOfToleranceShare: 1 };
  }
  if (expected.dtype !== actual.dtype) {
    return { ...base, ok: false, problem: 'dtype', actualDtype: actual.dtype, maxAbsError: Infinity, maxRelError: Infinity, outOfToleranceShare: 1 };
  }
  const tolerance = isFloating(expected.dtype) ? toleranceFor(backend, expected.dtype) : { atol: 0, rtol: 0 };
  const total = elementCount(expected.shape);
  const keep = filter?.(name, expected.shape);
  let maxAbs = 0, maxRel = 0, bad = 0, n = 0, worst = -1, worstExcess = -Infinity;
  for (let i = 0; i < total; i++) {
    if (keep && !keep(i)) continue;
    n++;
    const e = valueAt(expected, i), a = valueAt(actual, i);
    if (Number.isNaN(e) && Number.isNaN(a)) continue; // NaN where eager has NaN is agreement
    const abs = Number.isNaN(e) !== Number.isNaN(a) ? Infinity : e === a ? 0 : Math.abs(a - e);
    const rel = abs / Math.max(Math.abs(e), REL_EPS);
    const excess = abs - (tolerance.atol + tolerance.rtol * (Number.isNaN(e) ? 0 : Math.abs(e)));
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
export function compareOutputs(expected: NamedTensors, actual: NamedTensors, backend: string, filter?: ElementFilter): Comparison {
  const leaves: LeafComparison[] = [];
  for (const [name, tensor] of Object.entries(expected)) {
    const other = actual[name];
    leaves.push(other
      ? compareLeaf(name, tensor, other, backend, filter)
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
