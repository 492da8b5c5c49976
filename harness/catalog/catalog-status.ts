// The catalog's standing under one pin set, from the shard records (catalog-records.ts): pass rates
// per backend and mode over every recorded job and over the jobs that reached the exporter,
// generation parity, what each expectation accounts for, the failures nothing explains yet, and
// ours against upstream where both ran. Recorded results are judged again under today's
// expectation lists (expected-outcome.ts), and a record made under other pins is set aside, never
// counted: a green figure must not come from an environment that is no longer the pin set's.
import { failedWhenRun, passed, reachedExporter, type JobResult } from '../sweep/job-result.js';
import { judgedAgain } from '../skips/expected-outcome.js';
import { entryName, type LoadedEntry } from '../skips/skip-list.js';
import type { CatalogEntry } from './catalog.js';
import type { CatalogRecord } from './catalog-records.js';

export interface StatusRate {
  /** Passed over every recorded job of the backend and mode (skipped and broken jobs count as not passing). */
  all: number | null;
  /** Passed over the jobs that reached the exporter (neither skipped nor broken). */
  reached: number | null;
  passed: number;
  jobs: number;
  reachedPassed: number;
  reachedJobs: number;
}

export interface ExpectationCount {
  name: string;
  kind: string;
  link: string;
  reason: string;
  /** Jobs it accounts for (skipped, or failed as it expects), and jobs it covers that passed (stale) or failed otherwise. */
  explained: number;
  xpass: number;
  unexpected: number;
}

export interface FailureGroup { stage: string; status: string; error: string; jobs: number; classes: string[] }

export interface RecordSummary {
  file: string;
  implementation: string;
  shard: string | null;
  commit: string | null;
  startedAt: string;
  endedAt: string | null;
  results: number;
  missing: number;
}

export interface CatalogStatus {
  pins: string;
  pinsKey: string;
  /** The commit and date of the newest record counted: what the figures were measured on. */
  commit: string | null;
  date: string | null;
  versions: Record<string, string | null>;
  /** Classes in the pinned transformers' catalog, and those with at least one recorded job of ours. */
  classes: number;
  classesRecorded: number;
  rates: Record<string, StatusRate>;
  /** Generate jobs whose greedy tokens equal eager's, over generate jobs recorded, per backend. */
  generation: Record<string, number | null>;
  statuses: Record<string, Record<string, number>>;
  expectations: ExpectationCount[];
  /** Recorded failures of ours no expectation accounts for, grouped by stage and error. */
  unexplained: number;
  unexplainedGroups: FailureGroup[];
  /** Jobs recorded under both implementations: how many each passed, and those only one passed. */
  upstream: { jobs: number; ours: number; upstream: number; oursOnly: string[]; upstreamOnly: string[] } | null;
  records: RecordSummary[];
  /** Records made under another environment of this pin set (pins changed since): not counted. */
  staleRecords: { file: string; pinsKey: string }[];
}

export interface StatusInputs {
  records: { file: string; record: CatalogRecord }[];
  catalog: CatalogEntry[];
  expectations: LoadedEntry[];
  pins: string;
  pinsKey: string;
}

const ratio = (n: number, d: number): number | null => (d ? n / d : null);

/** An error line as a group key: the failing shape, numbers and quoted names vary per class, the
 * failure does not. The fuzzer's and the runtimes' wrappers go, so what is left is the cause. */
export function errorShape(r: JobResult): string {
  const message = (r.errorInfo?.message ?? r.error ?? r.status).split('\n')[0]
    .replace(/^\w+: /, '')
    .replace(/^smallest failing shape [^:]*: /, '')
    .replace(/^run:\w+: /, '')
    .replace(/^(eager forward|\w+ export|\w+ artifact run) failed: /, '');
  const text = r.errorInfo ? `${r.errorInfo.type}: ${message.replace(new RegExp(`^${r.errorInfo.type}: `), '')}` : message;
  return text.replace(/'[^']*'/g, "'…'").replace(/\b\d+(\.\d+)?(e-?\d+)?\b/g, 'N').slice(0, 200);
}

function newestFirst(a: JobResult, b: JobResult): number {
  return b.finishedAt.localeCompare(a.finishedAt);
}

/** One result per job and implementation, the newest where records overlap, judged under today's lists. */
function judgedResults(inputs: StatusInputs, records: CatalogRecord[]): Map<string, JobResult[]> {
  const types = new Map(inputs.catalog.map((e) => [e.class, e.model_type]));
  const byImplementation = new Map<string, Map<string, JobResult>>();
  for (const record of records) {
    const seen = byImplementation.get(record.implementation) ?? new Map<string, JobResult>();
    byImplementation.set(record.implementation, seen);
    for (const result of record.results) {
      const earlier = seen.get(result.id);
      if (!earlier || newestFirst(result, earlier) < 0) seen.set(result.id, result);
    }
  }
  const judged = new Map<string, JobResult[]>();
  for (const [implementation, results] of byImplementation) {
    judged.set(implementation, [...results.values()].flatMap((result) => {
      const job = { model: { class: result.modelClass, model_type: types.get(result.modelClass) }, backend: result.backend, mode: result.mode };
      const again = judgedAgain(result, job, inputs.expectations, inputs.pins);
      return again ? [again] : [];
    }).sort((a, b) => a.id.localeCompare(b.id)));
  }
  return judged;
}

function rateOf(results: JobResult[]): StatusRate {
  const reached = results.filter(reachedExporter);
  const n = results.filter(passed).length;
  const m = reached.filter(passed).length;
  return { all: ratio(n, results.length), reached: ratio(m, reached.length), passed: n, jobs: results.length, reachedPassed: m, reachedJobs: reached.length };
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

function expectationCounts(results: JobResult[]): ExpectationCount[] {
  const covered = results.filter((r) => r.skip);
  return [...groupBy(covered, (r) => `${r.skip!.link} ${entryName(r.skip!)} ${r.skip!.kind ?? 'skip'}`).values()].map((group) => {
    const { skip } = group[0];
    return {
      name: entryName(skip!), kind: skip!.kind ?? 'skip', link: skip!.link, reason: skip!.reason,
      explained: group.filter((r) => r.status === 'skipped' || r.status === 'xfail').length,
      xpass: group.filter((r) => r.status === 'xpass' || r.staleSkip).length,
      unexpected: group.filter((r) => r.unexpectedError).length,
    };
  }).sort((a, b) => b.explained - a.explained || a.name.localeCompare(b.name));
}

function unexplainedGroups(failures: JobResult[]): FailureGroup[] {
  return [...groupBy(failures, (r) => `${r.stage ?? ''}\u0000${r.status}\u0000${errorShape(r)}`).values()].map((group) => ({
    stage: group[0].stage ?? '', status: group[0].status, error: errorShape(group[0]), jobs: group.length,
    classes: [...new Set(group.map((r) => r.modelClass))].sort(),
  })).sort((a, b) => b.jobs - a.jobs || a.error.localeCompare(b.error));
}

function upstreamComparison(ours: JobResult[], upstream: JobResult[] | undefined): CatalogStatus['upstream'] {
  if (!upstream?.length) return null;
  const theirs = new Map(upstream.map((r) => [r.id, r]));
  const both = ours.filter((r) => theirs.has(r.id));
  return {
    jobs: both.length,
    ours: both.filter(passed).length,
    upstream: both.filter((r) => passed(theirs.get(r.id)!)).length,
    oursOnly: both.filter((r) => passed(r) && !passed(theirs.get(r.id)!)).map((r) => r.id),
    upstreamOnly: both.filter((r) => !passed(r) && passed(theirs.get(r.id)!)).map((r) => r.id),
  };
}

export function catalogStatus(inputs: StatusInputs): CatalogStatus {
  const current = inputs.records.filter(({ record }) => record.pins.name === inputs.pins && record.pins.key === inputs.pinsKey);
  const stale = inputs.records.filter(({ record }) => !current.some((c) => c.record === record));
  const judged = judgedResults(inputs, current.map((c) => c.record));
  const ours = judged.get('ours') ?? [];
  const forward = ours.filter((r) => r.mode !== 'generate');
  const keys = [...new Set(forward.map((r) => `${r.backend}/${r.mode}`))].sort();
  const newest = [...current].sort((a, b) => (b.record.endedAt ?? b.record.startedAt).localeCompare(a.record.endedAt ?? a.record.startedAt))[0]?.record;
  const generate = ours.filter((r) => r.mode === 'generate');
  const unexplained = ours.filter((r) => failedWhenRun(r) && r.status !== 'xfail');
  return {
    pins: inputs.pins,
    pinsKey: inputs.pinsKey,
    commit: newest?.git.commit ?? null,
    date: newest ? (newest.endedAt ?? newest.startedAt).slice(0, 10) : null,
    versions: newest?.versions ?? {},
    classes: inputs.catalog.length,
    classesRecorded: new Set(ours.map((r) => r.modelClass)).size,
    rates: Object.fromEntries(keys.map((k) => [k, rateOf(forward.filter((r) => `${r.backend}/${r.mode}` === k))])),
    generation: Object.fromEntries([...new Set(generate.map((r) => r.backend))].sort().map((b) => {
      const jobs = generate.filter((r) => r.backend === b);
      return [b, ratio(jobs.filter(passed).length, jobs.length)];
    })),
    statuses: Object.fromEntries([...keys, ...[...new Set(generate.map((r) => `${r.backend}/generate`))].sort()].map((k) => {
      const counts: Record<string, number> = {};
      for (const r of ours.filter((x) => `${x.backend}/${x.mode}` === k)) counts[r.status] = (counts[r.status] ?? 0) + 1;
      return [k, counts];
    })),
    expectations: expectationCounts(ours),
    unexplained: unexplained.length,
    unexplainedGroups: unexplainedGroups(unexplained),
    upstream: upstreamComparison(ours, judged.get('upstream')),
    records: current.map(({ file, record }) => ({
      file, implementation: record.implementation, shard: record.shard, commit: record.git.commit,
      startedAt: record.startedAt, endedAt: record.endedAt, results: record.results.length, missing: record.missing.length,
    })),
    staleRecords: stale.map(({ file, record }) => ({ file, pinsKey: record.pins.key })),
  };
}
