// The terminal view of a sweep: a matrix of models x (backend, mode), each cell the job's status and
// max abs error, then pass counts per column, then the first error line of every failed job.
import { isFailure, type JobResult } from '../sweep/job-result.js';

export function formatError(value: number | undefined): string {
  if (value === undefined) return '-';
  if (!Number.isFinite(value)) return 'inf';
  return value === 0 ? '0' : value.toExponential(1);
}

function formatMs(value: number | undefined): string {
  return value === undefined ? '-' : `${(value / 1000).toFixed(1)}s`;
}

export function resultLine(result: JobResult): string {
  const where = result.stage && result.status !== 'pass' ? ` at ${result.stage}` : '';
  const detail = result.error ? (result.error.split('\n')[0] ?? '').slice(0, 120) : `max abs ${formatError(result.maxAbsError)}`;
  const cached = result.resultCached ? ` (cached${result.reusedFrom ? ` from ${result.reusedFrom.runDir}` : ''})` : '';
  return `${result.status}${cached}${where} (${formatMs(result.durationsMs.total)}, export ${formatMs(result.durationsMs.export)}) ${detail}`;
}

function cell(result: JobResult | undefined): string {
  if (!result) return '';
  return result.maxAbsError === undefined ? result.status : `${result.status} ${formatError(result.maxAbsError)}`;
}

export function renderTable(results: JobResult[]): string {
  const columns = [...new Set(results.map((r) => `${r.backend}/${r.mode}`))].sort();
  const models = [...new Set(results.map((r) => r.model))].sort();
  const byKey = new Map(results.map((r) => [`${r.model} ${r.backend}/${r.mode}`, r]));
  const header = ['model', 'class', ...columns];
  const rows = models.map((model) => {
    const any = results.find((r) => r.model === model)!;
    return [model, any.modelClass, ...columns.map((column) => cell(byKey.get(`${model} ${column}`)))];
  });
  const totals = ['pass', '', ...columns.map((column) => {
    const inColumn = results.filter((r) => `${r.backend}/${r.mode}` === column);
    return `${inColumn.filter((r) => r.status === 'pass').length}/${inColumn.length}`;
  })];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length), totals[i].length));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const failures = results
    .filter(isFailure)
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((r) => `  ${r.id}: ${r.status}${r.stage ? ` at ${r.stage}` : ''}: ${(r.error ?? `max abs ${formatError(r.maxAbsError)}`).split('\n')[0]}`);
  return [
    line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), line(widths.map((w) => '-'.repeat(w))), line(totals),
    ...(failures.length ? ['', 'failures:', ...failures] : []),
  ].join('\n');
}
