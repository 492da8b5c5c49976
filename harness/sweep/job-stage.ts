// A job's steps (load, export, eager, run, generate...) each end in a result status of their own:
// an error the step reports (the worker refusing, onnxruntime failing, a loop fed wrong) becomes the
// job's result, while crashes and timeouts propagate to the pool, which owns the worker.
import { GenerationInputError } from '../generation/onnx-generate.js';
import { OnnxRunError } from '../runtimes/onnx-runner.js';
import { WorkerRequestError } from '../worker/errors.js';
import type { JobStatus } from './job-result.js';

const REPORTED = [WorkerRequestError, OnnxRunError, GenerationInputError];

export class StageError extends Error {
  constructor(readonly stage: string, readonly status: JobStatus, cause: unknown) {
    super((cause as Error).message);
  }
}

/** Failures the job reports as its result; crashes and timeouts propagate to the pool. */
export async function stage<T>(name: string, status: JobStatus, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (REPORTED.some((kind) => error instanceof kind)) throw new StageError(name, status, error);
    throw error;
  }
}

