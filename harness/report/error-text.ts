// A failed job's error as text, for every report: the structured ErrorInfo when the engine wrote one,
// else the older free-text ``error`` (results from runs before ErrorInfo existed still report).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
