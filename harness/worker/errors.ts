import type { ErrorCause } from '../sweep/job-result.js';
import type { ErrorKind, WorkerErrorBody } from './protocol.js';

/** The worker answered, with an error: it is still alive and usable. */
export class WorkerRequestError extends Error {
  readonly kind: ErrorKind;
  /** The root exception's type (``RuntimeError``, not the worker's ``ExportError`` wrapper). */
  readonly pythonType: string;
  /** The op and the whole Python traceback, causes included. */
  readonly trace: string;
  /** The exception chain, outermost first (the worker's wrapper, then what it was raised from). */
  readonly causes: ErrorCause[];
  /** What native code wrote to stderr while the op failed, where the worker captured it. */
  readonly nativeStderr?: string;
  constructor(readonly op: string, body: WorkerErrorBody) {
    super(stripAnsi(body.message));
    this.name = 'WorkerRequestError';
    this.kind = body.kind;
    this.pythonType = body.type;
    this.trace = `${op}: ${stripAnsi(body.trace)}`;
    this.causes = (body.causes ?? []).map((c) => ({ type: c.type, message: stripAnsi(c.message) }));
    this.nativeStderr = body.native_stderr;
  }
}

/** The worker process ended (crash, signal, exit) while requests were in flight or before it was ready. */
export class WorkerCrashError extends Error {
  constructor(readonly code: number | null, readonly signal: NodeJS.Signals | null, readonly stderrTail: string) {
    super(`worker exited (${signal ? `signal ${signal}` : `code ${code}`})${stderrTail ? `: ${lastLine(stderrTail)}` : ''}`);
    this.name = 'WorkerCrashError';
  }
}

/** A request or a whole job ran past its time limit; the worker was killed. */
export class WorkerTimeoutError extends Error {
  constructor(readonly what: string, readonly timeoutMs: number, readonly stderrTail: string) {
    super(`${what} timed out after ${(timeoutMs / 1000).toFixed(1)} s; the worker was killed`);
    this.name = 'WorkerTimeoutError';
  }
}

/** Terminal colour codes some libraries (torch.onnx) put in their messages; reports are not terminals. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

/** The worker's resident memory passed the pool's limit; it was killed before it could take the machine down. */
export class WorkerMemoryError extends Error {
  constructor(readonly rssMb: number, readonly limitMb: number, readonly stderrTail: string) {
    super(`worker exceeded the memory limit: ${rssMb.toFixed(0)} MB resident > ${limitMb} MB (--max-memory); the worker was killed`);
    this.name = 'WorkerMemoryError';
  }
}
