// A failed job's error as text, for every report: the structured ErrorInfo when the engine wrote one,
// else the older free-text ``error`` (results from runs before ErrorInfo existed still report).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { entryName } from '../skips/skip-list.js';
import type { JobResult } from '../sweep/job-result.js';
import { jobWorkDir } from '../sweep/jobs.js';

const firstLine = (text: string) => text.split('\n').find((l) => l.trim()) ?? '';

/** One line: ``Type: first line of the message`` (or the old error's first line). */
export function errorHeadline(r: Pick<JobResult, 'errorInfo' | 'error'>): string | undefined {
  if (r.errorInfo) return `${r.errorInfo.type}: ${firstLine(r.errorInfo.message)}`;
  return r.error ? firstLine(r.error) : undefined;
}

/** Where it failed: ErrorInfo's stage, else the result's. */
export const failedStage = (r: Pick<JobResult, 'errorInfo' | 'stage'>): string | undefined => r.errorInfo?.stage ?? r.stage;

/** The job's repro.md relative to the run folder, when the engine wrote one. */
export function reproFile(runDir: string, jobId: string): string | undefined {
  const relative = join(jobWorkDir('jobs', jobId), 'repro.md');
  return existsSync(join(runDir, relative)) ? relative : undefined;
}

/** What the skip-list entry covering a job says about its outcome, one line for every report:
 * a stale entry (a probed skip or an xfail that passes), an xfail's other error, or an expected
 * failure; undefined when no entry covers the job or it was simply skipped. */
export function expectationNote(r: Pick<JobResult, 'status' | 'skip' | 'staleSkip' | 'unexpectedError' | 'probed'>): string | undefined {
  if (!r.skip) return undefined;
  const entry = `${r.skip.file}:${r.skip.line} (${entryName(r.skip)})`;
  const pattern = `/${r.skip.error ?? ''}/`;
  if (r.status === 'xpass') return `xpass: the xfail entry ${entry} expects ${pattern}, but the job passes: remove the entry`;
  if (r.staleSkip) return `stale skip-list entry ${entry}: the job passes now, remove it`;
  if (r.unexpectedError) return `regression: the xfail entry ${entry} expects ${pattern}; this is another error`;
  if (r.status === 'xfail') return `expected failure (${r.probed ?? '?'}) per ${entry}`;
  return undefined;
}
