// Tolerances are data (tolerances.json), looked up by backend and dtype; integer and bool outputs
// must match exactly.
//
// An element passes when |actual - expected| <= atol + rtol * |expected| + scaleTol * scale, where
// scale is the leaf's largest |expected| over the compared elements. The scale term is there because
// float32 rounding error in a sum grows with the magnitude of the terms summed, not with the result:
// a logit near zero in a row whose other logits reach 30 carries the rounding error of a sum of
// values of size 30, which a fixed atol tuned on tiny random models (logits ~0.1) calls a mismatch.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DType } from '../tensors/tensor.js';

export interface Tolerance {
  atol: number;
  rtol: number;
  /** Multiple of the leaf's scale added to atol (0: no scale term). */
  scaleTol: number;
}

/** The tolerance one leaf was held to, with the scale it was measured at. */
export interface LeafTolerance extends Tolerance {
  /** The leaf's scale: max |expected| over the compared finite elements (0 for an empty leaf). */
  scale: number;
  /** atol + scaleTol * scale: the absolute term every element of this leaf was allowed. */
  effectiveAtol: number;
}

interface Row extends Tolerance { backend: string; dtype: string; reason: string }

const TABLE_PATH = fileURLToPath(new URL('./tolerances.json', import.meta.url));
let rows: Row[] | undefined;

/** The suffix run-job.ts gives a backend when it compares two runtimes of one artifact. */
const RUNTIMES_SUFFIX = ':runtimes';

export function parseRows(data: unknown, path = TABLE_PATH): Row[] {
  const list = (data as { rows?: unknown })?.rows;
  if (!Array.isArray(list)) throw new Error(`${path}: expected {"rows": [...]}`);
  list.forEach((row: Partial<Row>, index) => {
    for (const key of ['backend', 'dtype', 'atol', 'rtol', 'scaleTol', 'reason'] as const) {
      if (row[key] === undefined) throw new Error(`${path}: row ${index} lacks '${key}'; every row needs backend, dtype, atol, rtol, scaleTol and reason`);
    }
    for (const key of ['atol', 'rtol', 'scaleTol'] as const) {
      if (typeof row[key] !== 'number' || !(row[key]! >= 0)) throw new Error(`${path}: row ${index} (${row.backend} ${row.dtype}): '${key}' must be a number >= 0, got ${JSON.stringify(row[key])}`);
    }
  });
  return list as Row[];
}

function loadRows(): Row[] {
  return parseRows(JSON.parse(readFileSync(TABLE_PATH, 'utf8')));
}

/** The row for ``backend`` and ``dtype``: the backend's own, else for a cross-runtime comparison
 * ``*:runtimes``, else ``*``. */
export function toleranceFor(backend: string, dtype: DType): Tolerance {
  rows ??= loadRows();
  const names = [backend, ...(backend.endsWith(RUNTIMES_SUFFIX) ? [`*${RUNTIMES_SUFFIX}`] : []), '*'];
  for (const name of names) {
    const row = rows.find((r) => r.backend === name && r.dtype === dtype);
    if (row) return { atol: row.atol, rtol: row.rtol, scaleTol: row.scaleTol };
  }
  return { atol: 0, rtol: 0, scaleTol: 0 };
}

/** The tolerance for one leaf whose compared expected values reach ``scale`` in magnitude. */
export function leafTolerance(tolerance: Tolerance, scale: number): LeafTolerance {
  return { ...tolerance, scale, effectiveAtol: tolerance.atol + tolerance.scaleTol * scale };
}
