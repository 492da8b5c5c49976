// The terminal view of a sweep: one row per job, then pass counts per backend and mode.
import type { JobResult } from '../sweep/job-result.js';

function formatError(value: number | undefined): string {
  if (value === undefined) return '-';
  if (!Number.isFinite(value)) return 'inf';
  return value === 0 ? '0' : value.toExponential(1);
}

function formatMs(value: number | undefined): string {
  return value === undefined ? '-' : `${(value / 1000).toFixed(1)}s`;
}

export function resultLine(result: JobResult): string {
  const where = result.stage && result.status !== 'pass' ? ` at ${result.stage}` : '';
  const detail = result.status === 'pass' || result.status === 'mismatch'
    ? `max abs ${formatError(result.maxAbsError)}`
    : (result.error ?? '').split('\n')[0].slice(0, 120);
  return `${result.status}${where} (${formatMs(result.durationsMs.total)}) ${detail}`;
}

export function renderTable(results: JobResult[]): string {
  const rows = [...results].sort((a, b) => a.id.localeCompare(b.id)).map((r) => [
    r.model, r.modelClass, r.backend, r.mode, r.status, formatMs(r.durationsMs.export), formatError(r.maxAbsError), formatError(r.maxRelError),
    r.status === 'pass' || r.status === 'mismatch' ? '' : `${r.stage ?? ''}: ${(r.error ?? '').split('\n')[0]}`.slice(0, 80),
  ]);
  const header = ['model', 'class', 'backend', 'mode', 'status', 'export', 'max abs', 'max rel', 'error'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const groups = new Map<string, { pass: number; total: number }>();
  for (const r of results) {
    const key = `${r.backend}/${r.mode}`;
    const group = groups.get(key) ?? { pass: 0, total: 0 };
    group.total += 1;
    if (r.status === 'pass') group.pass += 1;
    groups.set(key, group);
  }
  const totals = [...groups].map(([key, g]) => `${key}: ${g.pass}/${g.total} pass`).join('   ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), '', totals].join('\n');
}
