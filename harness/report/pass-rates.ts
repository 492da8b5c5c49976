// Pass rates per backend, taken two ways: over every job that ran (a skip-list entry is a decision,
// not a result, so skipped jobs are left out), and over the jobs that reached the exporter (broken
// jobs left out too), so a harness that cannot build a model does not read as an exporter that
// cannot export it. An xfail job ran and failed, so it counts against the rate; an xpass passed.
// The matrix, the dashboard and summary.json all count with this one function.
import { passed, reachedExporter, type JobResult, type JobStatus } from '../sweep/job-result.js';

/** The order statuses are listed in: passing, exporter failures, harness failures, expectations. */
export const STATUS_ORDER: readonly JobStatus[] = [
  'pass', 'partial', 'xpass', 'mismatch', 'runtimes-disagree', 'export-error', 'runtime-error', 'broken', 'crashed', 'timeout', 'xfail', 'skipped',
];

export interface Rate { passed: number; over: number; /** percent, or null when ``over`` is 0 */ percent: number | null }

export interface BackendRates {
  backend: string;
  jobs: number;
  counts: Record<JobStatus, number>;
  /** Over every job that ran (not skipped). */
  all: Rate;
  /** Over the jobs that reached the exporter (neither skipped nor broken). */
  reached: Rate;
}

function rate(results: JobResult[]): Rate {
  const n = results.filter(passed).length;
  return { passed: n, over: results.length, percent: results.length ? (100 * n) / results.length : null };
}

export function statusCounts(results: Pick<JobResult, 'status'>[]): Record<JobStatus, number> {
  return Object.fromEntries(STATUS_ORDER.map((s) => [s, results.filter((r) => r.status === s).length])) as Record<JobStatus, number>;
}

export function ratesOf(backend: string, results: JobResult[]): BackendRates {
  return {
    backend,
    jobs: results.length,
    counts: statusCounts(results),
    all: rate(results.filter((r) => r.status !== 'skipped')),
    reached: rate(results.filter(reachedExporter)),
  };
}

/** One entry per backend (sorted), from the results of one run. */
export function passRates(results: JobResult[], key: (r: JobResult) => string = (r) => r.backend): BackendRates[] {
  return [...new Set(results.map(key))].sort().map((k) => ratesOf(k, results.filter((r) => key(r) === k)));
}

/** ``50.0% (1/2)``, or ``- (0/0)`` when nothing counts. */
export function formatRate(r: Rate): string {
  return `${r.percent === null ? '-' : `${r.percent.toFixed(1)}%`} (${r.passed}/${r.over})`;
}
