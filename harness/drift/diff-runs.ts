// Two runs compared job by job: what a version bump (or an exporter change) broke, fixed or moved.
// A regression is a job that passed in the baseline and fails now at or after the exporter; a job
// that passed and is now ``broken`` never reached the exporter, so it is listed apart (``broke``):
// the harness or the checkpoint changed, not the export. Skips are neither. An xfail job is a
// failure an entry expects: a pass after it is a fix, as it is after any failure; a job that passed
// and is xfail now was entered as expected (``newly-expected``), which is not a regression; an xpass
// passed, so after a pass it is no change at all, and the run itself names the stale entry.
import { errorHeadline } from '../report/error-text.js';
import { passed, type JobResult } from '../sweep/job-result.js';
import { alignColumns, markdownCell } from '../report/text-columns.js';

export type ChangeKind =
  | 'regression' | 'broke' | 'fix' | 'error-change' | 'tolerance-change' | 'newly-expected' | 'newly-skipped' | 'unskipped' | 'new-job' | 'removed-job';

export interface JobChange {
  kind: ChangeKind;
  id: string;
  modelClass: string;
  before?: string;
  after?: string;
  detail: string;
}

export interface RunDiff {
  baseline: string;
  current: string;
  changes: JobChange[];
  newClasses: string[];
  removedClasses: string[];
  counts: Record<ChangeKind, number>;
}

export interface DiffOptions {
  /** A passing job's max abs error may grow or shrink by this factor before it is reported. */
  toleranceFactor?: number;
  /** Errors below this are noise at float32 and never reported as a tolerance change. */
  errorFloor?: number;
}


/** The kind of a failure, stable across runs: status, failed step, exception type. The engine's
 * ErrorInfo names the type and stage; only results without one (older runs) fall back to finding an
 * ``...Error`` word in the error text, which can pick a type named in the message instead. */
export function errorClass(r: JobResult): string {
  const type = r.errorInfo?.type ?? /\b([A-Z]\w*(?:Error|Exception))\b/.exec(r.error ?? '')?.[1] ?? '';
  // an xfail's own failing status, so a failure later entered as expected is not an error change
  const status = r.status === 'xfail' ? r.probed ?? r.status : r.status;
  return [status, r.errorInfo?.stage ?? r.stage, type].filter(Boolean).join(' / ');
}

// a non-finite error (NaN or inf in an output) is stored as JSON null
const maxAbs = (r: JobResult) => (typeof r.maxAbsError === 'number' && Number.isFinite(r.maxAbsError) ? r.maxAbsError.toExponential(1) : 'not finite');
const firstLine = (r: JobResult) => errorHeadline(r)?.slice(0, 160) ?? `max abs ${maxAbs(r)}`;

function change(kind: ChangeKind, a: JobResult | undefined, b: JobResult | undefined, detail: string): JobChange {
  const any = (b ?? a)!;
  return { kind, id: any.id, modelClass: any.modelClass, before: a && errorClass(a), after: b && errorClass(b), detail };
}

export function diffRuns(baseline: { name: string; results: JobResult[] }, current: { name: string; results: JobResult[] }, options: DiffOptions = {}): RunDiff {
  const factor = options.toleranceFactor ?? 10;
  const floor = options.errorFloor ?? 1e-6;
  const before = new Map(baseline.results.map((r) => [r.id, r]));
  const after = new Map(current.results.map((r) => [r.id, r]));
  const changes: JobChange[] = [];
  for (const [id, b] of after) {
    const a = before.get(id);
    if (!a) {
      changes.push(change('new-job', undefined, b, b.status));
      continue;
    }
    if (a.status === 'skipped' || b.status === 'skipped') {
      if (a.status !== 'skipped') changes.push(change('newly-skipped', a, b, `${b.skip?.link ?? ''}`));
      else if (b.status !== 'skipped') changes.push(change(b.status === 'broken' ? 'broke' : passed(b) || b.status === 'xfail' ? 'unskipped' : 'regression', a, b, passed(b) ? 'passes now' : firstLine(b)));
      continue;
    }
    // an xfail is a failure here: what the job did, not whether an entry expected it
    const failed = (r: JobResult) => !passed(r);
    if (passed(a) && b.status === 'broken') changes.push(change('broke', a, b, firstLine(b)));
    else if (passed(a) && b.status === 'xfail') changes.push(change('newly-expected', a, b, `${firstLine(b)} ${b.skip?.link ?? ''}`.trim()));
    else if (passed(a) && failed(b)) changes.push(change('regression', a, b, firstLine(b)));
    else if (failed(a) && passed(b)) changes.push(change('fix', a, b, `was: ${firstLine(a)}`));
    else if (failed(a) && failed(b) && errorClass(a) !== errorClass(b)) changes.push(change('error-change', a, b, firstLine(b)));
    else if (passed(a) && passed(b)) {
      const ea = Math.max(a.maxAbsError ?? 0, floor);
      const eb = Math.max(b.maxAbsError ?? 0, floor);
      if (eb / ea >= factor || ea / eb >= factor) {
        changes.push(change('tolerance-change', a, b, `max abs ${(a.maxAbsError ?? 0).toExponential(1)} -> ${(b.maxAbsError ?? 0).toExponential(1)}`));
      }
    }
  }
  for (const [id, a] of before) if (!after.has(id)) changes.push(change('removed-job', a, undefined, a.status));
  const classes = (rs: JobResult[]) => new Set(rs.map((r) => r.modelClass));
  const [ca, cb] = [classes(baseline.results), classes(current.results)];
  const order: ChangeKind[] = ['regression', 'broke', 'error-change', 'tolerance-change', 'fix', 'newly-expected', 'newly-skipped', 'unskipped', 'new-job', 'removed-job'];
  changes.sort((x, y) => order.indexOf(x.kind) - order.indexOf(y.kind) || x.id.localeCompare(y.id));
  const counts = Object.fromEntries(order.map((k) => [k, changes.filter((c) => c.kind === k).length])) as Record<ChangeKind, number>;
  return {
    baseline: baseline.name, current: current.name, changes, counts,
    newClasses: [...cb].filter((c) => !ca.has(c)).sort(),
    removedClasses: [...ca].filter((c) => !cb.has(c)).sort(),
  };
}

const TITLES: Record<ChangeKind, string> = {
  regression: 'Regressions (passed, fails now)', broke: 'Broken (passed, now fails before reaching the exporter: harness or checkpoint, not the export)', 'error-change': 'Failures whose error changed', 'tolerance-change': 'Error size changes',
  fix: 'Fixes (failed, passes now)', 'newly-expected': 'Newly expected failures (passed, fails now as an xfail entry expects)', 'newly-skipped': 'Newly skipped', unskipped: 'No longer skipped', 'new-job': 'New jobs', 'removed-job': 'Removed jobs',
};


/** Markdown fit for a pull-request comment. */
export function diffMarkdown(diff: RunDiff): string {
  const lines = [
    `### export-sweep: \`${diff.current}\` against \`${diff.baseline}\``,
    '',
    diff.counts.regression ? `**${diff.counts.regression} regression(s)**` : 'No regressions.',
    ...(diff.counts.broke ? ['', `**${diff.counts.broke} job(s) broke before the exporter** (not counted as regressions; see below).`] : []),
    '',
    `| ${Object.keys(diff.counts).map((k) => k).join(' | ')} |`,
    `|${Object.keys(diff.counts).map(() => '---').join('|')}|`,
    `| ${Object.values(diff.counts).join(' | ')} |`,
  ];
  for (const kind of Object.keys(TITLES) as ChangeKind[]) {
    const rows = diff.changes.filter((c) => c.kind === kind);
    if (!rows.length) continue;
    lines.push('', `#### ${TITLES[kind]}`, '', '| job | before | after | detail |', '|---|---|---|---|');
    for (const c of rows) lines.push(`| \`${c.id}\` | ${markdownCell(c.before)} | ${markdownCell(c.after)} | ${markdownCell(c.detail)} |`);
  }
  if (diff.newClasses.length) lines.push('', `New classes: ${diff.newClasses.map((c) => `\`${c}\``).join(', ')}`);
  if (diff.removedClasses.length) lines.push('', `Removed classes: ${diff.removedClasses.map((c) => `\`${c}\``).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** The terminal table: one line per change. */
export function diffTable(diff: RunDiff): string {
  if (!diff.changes.length && !diff.newClasses.length && !diff.removedClasses.length) return `no changes between ${diff.baseline} and ${diff.current}`;
  const rows = diff.changes.length
    ? [alignColumns(['change', 'job', 'before', '   after', 'detail'], diff.changes.map((c) => [c.kind, c.id, c.before ?? '-', `-> ${c.after ?? '-'}`, c.detail.slice(0, 100)]))]
    : [];
  const summary = Object.entries(diff.counts).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(', ');
  const classes = [
    ...(diff.newClasses.length ? [`new classes: ${diff.newClasses.join(', ')}`] : []),
    ...(diff.removedClasses.length ? [`removed classes: ${diff.removedClasses.join(', ')}`] : []),
  ];
  return [...rows, ...classes, '', summary].join('\n');
}
