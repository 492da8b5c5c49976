// One sweep of the bench, timed two ways: its wall time, and the span from its first job's start to
// its last job's end, which leaves out the workers' start-up (the same in every run, and most of a
// small sweep's wall time).
import { join } from 'node:path';
import type { JobResult } from '../sweep/job-result.js';
import { runSweep, type SweepOptions } from '../sweep/sweep.js';
import { sum } from './stats.js';

export type BenchSweepOptions = Omit<SweepOptions, 'runDir'>;

export function jobSpanMs(results: JobResult[]): number {
  const ran = results.filter((r) => r.status !== 'skipped');
  if (!ran.length) return 0;
  const end = Math.max(...ran.map((r) => Date.parse(r.finishedAt)));
  return end - Math.min(...ran.map((r) => Date.parse(r.finishedAt) - r.durationsMs.total));
}

/** The time spent inside jobs, over every job of the run. */
export const jobTimeMs = (results: JobResult[]) => sum(results.map((r) => r.durationsMs.total));

export async function timedSweep(root: string, name: string, options: BenchSweepOptions) {
  const start = performance.now();
  const run = await runSweep({ ...options, runDir: join(root, name) });
  const wallMs = performance.now() - start;
  console.log(`bench: ${name}: ${run.results.length} jobs in ${(wallMs / 1000).toFixed(1)} s`);
  return { ...run, wallMs, spanMs: jobSpanMs(run.results), jobMs: jobTimeMs(run.results) };
}
