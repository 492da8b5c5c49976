// The result of a job that ended without one of its own: the pool gave back a crash, a timeout, an
// error no stage caught, or no started worker.
import type { JobOutcome } from '../worker/pool.js';
import { baseResult, type ErrorInfo, type JobResult, type Stage } from './job-result.js';
import { errorInfo as errorInfo_ } from './job-stage.js';
import type { Job } from './jobs.js';

/** A job the pool could not bring to a result of its own: its worker crashed, hung or ran out of
 * memory (``crashed``/``timeout``), or the harness failed it (``broken``): no worker started to run
 * it, or the job's own TypeScript threw what no stage reports (a fuzzer or file error on a live
 * worker). Every worker request runs inside a stage, so such an error is the harness's, never a
 * verdict on the exporter. ``stages``: the rungs it had reached, the last one being where it failed. */
export function failedResult(job: Job, outcome: Exclude<JobOutcome<unknown>, { status: 'ok' }>, stages: Stage[] = []): JobResult {
  const error = outcome.status === 'error' ? `${outcome.error.name}: ${outcome.error.message}` : outcome.error;
  const stage = stages[stages.length - 1];
  const failedAt = outcome.status === 'unstarted' ? 'worker start-up' : stage ?? 'checkpoint';
  const stderrTail = 'stderrTail' in outcome ? outcome.stderrTail.slice(-4000) : undefined;
  const errorInfo: ErrorInfo = outcome.status === 'error'
    ? errorInfo_(failedAt, outcome.error)
    : { stage: failedAt, type: outcome.errorType, message: outcome.error, stderrTail: stderrTail || undefined };
  return {
    ...baseResult(job),
    status: outcome.status === 'timeout' ? 'timeout' : outcome.status === 'crashed' ? 'crashed' : 'broken',
    stage,
    stages: stages.length ? [...stages] : undefined,
    errorInfo,
    durationsMs: { total: outcome.ms },
    shapes: [],
    error: error.split('\n').slice(0, 5).join('\n'),
    stderrTail,
    peakRssMb: outcome.peakRssMb,
    workerPid: outcome.workerPid,
    finishedAt: new Date().toISOString(),
  };
}
