// A job's steps climb the ladder of STAGES (job-result.ts), each ending in a result status of its
// own: an error the step reports (the worker refusing, onnxruntime failing, a loop fed wrong) becomes
// the job's result, with the error kept whole, while crashes and timeouts propagate to the pool,
// which owns the worker. A failure before the exporter ran (checkpoint, inputs, eager) is ``broken``:
// the harness could not set the job up, which says nothing about the exporter.
import { GenerationInputError } from '../generation/onnx-generate.js';
import { OnnxRunError } from '../runtimes/onnx-runner.js';
import { WorkerCrashError, WorkerMemoryError, WorkerRequestError, WorkerTimeoutError } from '../worker/errors.js';
import { PRE_EXPORT_STAGES, type ErrorInfo, type JobStatus, type Stage } from './job-result.js';

const REPORTED = [WorkerRequestError, OnnxRunError, GenerationInputError];

export class StageError extends Error {
  /** ``original``: the error the step threw, kept whole for ``errorInfo``. */
  constructor(readonly stage: string, readonly status: JobStatus, readonly original: unknown) {
    super((original as Error).message);
    this.name = 'StageError';
  }

  get info(): ErrorInfo {
    return errorInfo(this.stage, this.original);
  }
}

/** The status a failure at ``stage`` gives the job. */
export function statusAt(stage: Stage): JobStatus {
  if (PRE_EXPORT_STAGES.includes(stage)) return 'broken';
  return stage === 'export' ? 'export-error' : 'runtime-error';
}

/** Everything known about ``error``, a failure at ``stage``: the Python type, traceback and cause
 * chain of a worker's reply, the stderr tail of a crash or timeout. */
export function errorInfo(stage: string, error: unknown): ErrorInfo {
  if (error instanceof WorkerRequestError) {
    return {
      stage, type: error.pythonType, message: error.message, traceback: error.trace,
      causes: error.causes.length ? error.causes : undefined, stderrTail: error.nativeStderr,
    };
  }
  if (error instanceof WorkerCrashError || error instanceof WorkerTimeoutError || error instanceof WorkerMemoryError) {
    return { stage, type: error.name, message: error.message, stderrTail: error.stderrTail.slice(-4000) || undefined };
  }
  if (error instanceof Error) {
    const causes = [];
    for (let e: unknown = error; e instanceof Error && causes.length < 16; e = e.cause) causes.push({ type: e.name, message: e.message });
    return { stage, type: error.name, message: error.message, traceback: error.stack, causes: causes.length > 1 ? causes : undefined };
  }
  return { stage, type: typeof error, message: String(error) };
}

/** The rungs one job reached, in order; ``step`` runs one and turns a reported failure into its
 * ``StageError``. The list is shared with the sweep, so a job whose worker dies still says how far
 * it got. */
export class Ladder {
  constructor(readonly reached: Stage[] = []) {}

  reach(stage: Stage): void {
    if (!this.reached.includes(stage)) this.reached.push(stage);
  }

  /** The rung last reached: where a crash or timeout happened. */
  get last(): Stage | undefined {
    return this.reached[this.reached.length - 1];
  }

  /** Runs ``fn`` as rung ``stage``; ``label`` names the failing step when it is finer than the rung
   * (``run:onnxruntime-node``). */
  async step<T>(stage: Stage, fn: () => Promise<T>, label: string = stage): Promise<T> {
    this.reach(stage);
    return run(label, statusAt(stage), fn);
  }
}

/** Failures the job reports as its result; crashes and timeouts propagate to the pool. */
export async function run<T>(name: string, status: JobStatus, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (REPORTED.some((kind) => error instanceof kind)) throw new StageError(name, status, error);
    throw error;
  }
}
