// The terminal view of a sweep: a matrix of models x (backend, mode), each cell the job's status and
// max abs error, then per column the pass rates (over jobs run, over jobs that reached the exporter)
// and a count per status, the two rates per backend, then every failed job's error line (and its
// repro.md), and what partial jobs left unfed.
import { join } from 'node:path';
import { failedWhenRun, isFailure, type JobResult, type JobStatus } from '../sweep/job-result.js';
import { errorHeadline, expectationNote, failedStage, reproFile } from './error-text.js';
import { formatRate, passRates, STATUS_ORDER } from './pass-rates.js';

export function formatError(value: number | undefined): string {
  if (value === undefined || value === null) return '-';
  if (!Number.isFinite(value)) return 'inf';
  return value === 0 ? '0' : value.toExponential(1);
}

function formatMs(value: number | undefined): string {
  return value === undefined ? '-' : `${(value / 1000).toFixed(1)}s`;
}

/** ANSI colours per status, close to the dashboard's: broken (harness) and partial (a gap) stand apart
 * from the exporter's failures. */
export const STATUS_ANSI: Record<JobStatus, string> = {
  pass: '32', partial: '36', mismatch: '33', 'runtimes-disagree': '93', 'export-error': '31', 'runtime-error': '35',
  broken: '34;1', crashed: '95', timeout: '90', skipped: '2', xfail: '2', xpass: '35;1',
};

export interface TableOptions {
  /** Colour cells by status with ANSI escapes (a terminal); off for files and tests. */
  colour?: boolean;
  /** The run folder: each failure then names its repro.md, where the engine wrote one. */
  runDir?: string;
}

export function resultLine(result: JobResult): string {
  const stage = failedStage(result);
  const where = stage && result.status !== 'pass' && result.status !== 'partial' ? ` at ${stage}` : '';
  const headline = failedWhenRun(result) ? errorHeadline(result) : undefined;
  const detail = headline ? headline.slice(0, 120) : `max abs ${formatError(result.maxAbsError)}`;
  const unfed = result.status === 'partial' && result.inputsNotFed?.length ? ` (not fed: ${result.inputsNotFed.join(', ')})` : '';
  const cached = result.resultCached ? ` (cached${result.reusedFrom ? ` from ${result.reusedFrom.runDir}` : ''})` : '';
  return `${result.status}${cached}${where} (${formatMs(result.durationsMs.total)}, export ${formatMs(result.durationsMs.export)}) ${detail}${unfed}`;
}

// a crash's first line can list every extension module loaded (thousands of characters); the
// per-model page has the whole text
const clip = (text: string, max = 240) => (text.length > max ? `${text.slice(0, max - 1)}\u2026` : text);

function cell(result: JobResult | undefined): string {
  if (!result) return '';
  return result.maxAbsError === undefined || result.maxAbsError === null ? result.status : `${result.status} ${formatError(result.maxAbsError)}`;
}

export function renderTable(results: JobResult[], options: TableOptions = {}): string {
  const columns = [...new Set(results.map((r) => `${r.backend}/${r.mode}`))].sort();
  const models = [...new Set(results.map((r) => r.model))].sort();
  const byKey = new Map(results.map((r) => [`${r.model} ${r.backend}/${r.mode}`, r]));
  const header = ['model', 'class', ...columns];
  const grid = models.map((model) => [undefined, undefined, ...columns.map((column) => byKey.get(`${model} ${column}`))]);
  const rows = models.map((model, i) => [model, results.find((r) => r.model === model)!.modelClass, ...grid[i].slice(2).map(cell)]);
  const rates = new Map(passRates(results, (r) => `${r.backend}/${r.mode}`).map((r) => [r.backend, r]));
  const present = STATUS_ORDER.filter((s) => results.some((r) => r.status === s));
  const totals = [
    ['pass rate, run', '', ...columns.map((c) => formatRate(rates.get(c)!.all))],
    ['pass rate, reached exporter', '', ...columns.map((c) => formatRate(rates.get(c)!.reached))],
    ...present.map((s) => [s, '', ...columns.map((c) => String(rates.get(c)!.counts[s]))]),
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length), ...totals.map((t) => t[i].length)));
  const paint = (text: string, status: JobStatus | undefined) => (options.colour && status ? `\x1b[${STATUS_ANSI[status]}m${text}\x1b[0m` : text);
  // the padding stays outside the escapes, so they count towards no width and trimming still works
  const line = (cells: string[], statuses: (JobStatus | undefined)[] = []) =>
    cells.map((c, i) => `${paint(c, statuses[i])}${' '.repeat(widths[i] - c.length)}`).join('  ').trimEnd();
  const rule = line(widths.map((w) => '-'.repeat(w)));
  const failures = results
    .filter(isFailure)
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((r) => {
      const stage = failedStage(r);
      const repro = options.runDir ? reproFile(options.runDir, r.id) : undefined;
      const note = expectationNote(r);
      return `  ${r.id}: ${paint(r.status, r.status)}${stage && r.status !== 'xpass' ? ` at ${stage}` : ''}: ${clip(errorHeadline(r) ?? `max abs ${formatError(r.maxAbsError)}`)}${note ? `\n    ${note}` : ''}${repro ? `\n    repro: ${join(options.runDir!, repro)}` : ''}`;
    });
  const expected = results
    .filter((r) => r.status === 'xfail')
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((r) => `  ${r.id}: ${r.probed ?? '?'} at ${failedStage(r) ?? '?'}: ${clip(errorHeadline(r) ?? '', 160)} (${r.skip!.file}:${r.skip!.line} ${r.skip!.link})`);
  const partial = results
    .filter((r) => r.status === 'partial')
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((r) => `  ${r.id}: fed ${r.inputsFed?.join(', ') || '?'}; not fed ${r.inputsNotFed?.join(', ') || '?'}`);
  return [
    line(header), rule,
    ...rows.map((row, i) => line(row, grid[i].map((r) => r?.status))),
    rule,
    ...totals.map((t, i) => line(t, i >= 2 ? [present[i - 2]] : [])),
    '',
    'pass rate per backend (jobs run; jobs that reached the exporter):',
    ...passRates(results).map((b) => `  ${b.backend}: ${formatRate(b.all)}; ${formatRate(b.reached)}`),
    ...(failures.length ? ['', 'failures:', ...failures] : []),
    ...(expected.length ? ['', 'expected failures (xfail entries; not failures of the run):', ...expected] : []),
    ...(partial.length ? ['', 'partial (passed on the inputs fed; the rest untested):', ...partial] : []),
  ].join('\n');
}
