// Tolerances are data (tolerances.json), looked up by backend and dtype; integer and bool outputs
// must match exactly.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DType } from '../tensors/tensor.js';

export interface Tolerance { atol: number; rtol: number }
interface Row extends Tolerance { backend: string; dtype: string; reason: string }

const TABLE_PATH = fileURLToPath(new URL('./tolerances.json', import.meta.url));
let rows: Row[] | undefined;

function loadRows(): Row[] {
  const data = JSON.parse(readFileSync(TABLE_PATH, 'utf8')) as { rows: Row[] };
  data.rows.forEach((row, index) => {
    for (const key of ['backend', 'dtype', 'atol', 'rtol', 'reason'] as const) {
      if (row[key] === undefined) throw new Error(`${TABLE_PATH}: row ${index} lacks '${key}'; every row needs backend, dtype, atol, rtol and reason`);
    }
  });
  return data.rows;
}

export function toleranceFor(backend: string, dtype: DType): Tolerance {
  rows ??= loadRows();
  const row = rows.find((r) => r.backend === backend && r.dtype === dtype) ?? rows.find((r) => r.backend === '*' && r.dtype === dtype);
  return row ? { atol: row.atol, rtol: row.rtol } : { atol: 0, rtol: 0 };
}
