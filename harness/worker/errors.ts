import type { ErrorKind, WorkerErrorBody } from './protocol.js';

/** The worker answered, with an error: it is still alive and usable. */
export class WorkerRequestError extends Error {
  readonly kind: ErrorKind;
  readonly pythonType: string;
  readonly trace: string;
  constructor(op: string, body: WorkerErrorBody) {
    super(stripAnsi(body.message));
    this.name = 'WorkerRequestError';
    this.kind = body.kind;
    this.pythonType = body.type;
    this.trace = `${op}: ${stripAnsi(body.trace)}`;
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
