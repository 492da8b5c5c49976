// Tolerances are data, looked up by backend and dtype: the generic rows of tolerances.json, and ahead
// of them an architecture row's own ``tolerance`` (harness/architectures/) for its model type only.
// Integer and bool outputs must match exactly.
//
// An element passes when |actual - expected| <= atol + rtol * |expected| + scaleTol * scale, where
// scale is the leaf's largest |expected| over the compared elements. The scale term is there because
// float32 rounding error in a sum grows with the magnitude of the terms summed, not with the result:
// a logit near zero in a row whose other logits reach 30 carries the rounding error of a sum of
// values of size 30, which a fixed atol tuned on tiny random models (logits ~0.1) calls a mismatch.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadArchitectures, toleranceProblems, type ToleranceRow } from '../architectures/architectures.js';
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

type Row = ToleranceRow;

const TABLE_PATH = fileURLToPath(new URL('./tolerances.json', import.meta.url));
let rows: Row[] | undefined;
let byType: Map<string, Row[]> | undefined;

/** The suffix run-job.ts gives a backend when it compares two runtimes of one artifact. */
const RUNTIMES_SUFFIX = ':runtimes';

export function parseRows(data: unknown, path = TABLE_PATH): Row[] {
  const list = (data as { rows?: unknown })?.rows;
  if (!Array.isArray(list)) throw new Error(`${path}: expected {"rows": [...]}`);
  list.forEach((row: Record<string, unknown>, index) => {
    const [problem] = toleranceProblems(row);
    if (problem?.startsWith('lacks')) throw new Error(`${path}: row ${index} ${problem}`);
    if (problem) throw new Error(`${path}: row ${index} (${row.backend} ${row.dtype}): ${problem}`);
  });
  return list as Row[];
}

function loadRows(): Row[] {
  return parseRows(JSON.parse(readFileSync(TABLE_PATH, 'utf8')));
}

/** Each architecture's own tolerance rows (checked by the architectures loader), by model type. */
export function architectureTolerances(architectures = loadArchitectures()): Map<string, Row[]> {
  return new Map(Object.entries(architectures.rows).filter(([, row]) => row.tolerance).map(([type, row]) => [type, row.tolerance!]));
}

/** The row for ``backend`` and ``dtype``: the backend's own, else for a cross-runtime comparison
 * ``*:runtimes``, else ``*``; looked up first in the architecture row of ``modelType`` (when it has
 * tolerance rows), then in the generic table. */
export function toleranceFor(backend: string, dtype: DType, modelType?: string, overrides?: Map<string, Row[]>): Tolerance {
  rows ??= loadRows();
  const own = modelType ? (overrides ?? (byType ??= architectureTolerances())).get(modelType) ?? [] : [];
  const names = [backend, ...(backend.endsWith(RUNTIMES_SUFFIX) ? [`*${RUNTIMES_SUFFIX}`] : []), '*'];
  for (const table of [own, rows]) {
    for (const name of names) {
      const row = table.find((r) => r.backend === name && r.dtype === dtype);
      if (row) return { atol: row.atol, rtol: row.rtol, scaleTol: row.scaleTol };
    }
  }
  return { atol: 0, rtol: 0, scaleTol: 0 };
}

/** The tolerance for one leaf whose compared expected values reach ``scale`` in magnitude. */
export function leafTolerance(tolerance: Tolerance, scale: number): LeafTolerance {
  return { ...tolerance, scale, effectiveAtol: tolerance.atol + tolerance.scaleTol * scale };
}
