// One warm Python worker process: requests go in as JSON lines, replies come back matched by id.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PYTHON_LAUNCHER } from '../python/paths.js';
import { WorkerCrashError, WorkerRequestError, WorkerTimeoutError } from './errors.js';
import { PROTOCOL_VERSION, type OpName, type Ops, type ReadyEvent, type Reply } from './protocol.js';

export interface PythonWorkerOptions {
  /** Executable and arguments; default: bin/py -m sweep_worker. */
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  /** Time allowed for imports and start-up (a cold torch import takes seconds). */
  readyTimeoutMs?: number;
  stderrTailBytes?: number;
}

interface Pending {
  op: string;
  sent: number;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

/** Every worker process of this process still running, for stopAllWorkers. */
const live = new Set<PythonWorker>();

/** Kill every worker this process started, at once (a signal handler cannot await a pool's close):
 * a SIGTERM'd CLI must not leave torch processes running its abandoned jobs. Returns their pids. */
export function stopAllWorkers(): number[] {
  const pids: number[] = [];
  for (const worker of live) {
    if (worker.pid !== undefined) pids.push(worker.pid);
    worker.kill();
  }
  live.clear();
  return pids;
}

export class PythonWorker {
  readonly ready: Promise<ReadyEvent>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderr = '';
  private exitError: WorkerCrashError | undefined;
  private readonly stderrTailBytes: number;
  /** Totals over this worker's requests: the round trip seen here, the worker's own time, and the
   * part of it spent reading and writing tensor files (the boundary's cost, for the benchmarks). */
  readonly stats = { requests: 0, roundTripMs: 0, workerMs: 0, tensorIoMs: 0 };
  /** Model handles this process holds, so a job can reuse a model another job loaded. */
  readonly loadedModels = new Map<string, string>();

  constructor(options: PythonWorkerOptions = {}) {
    this.stderrTailBytes = options.stderrTailBytes ?? 16_384;
    this.child = spawn(options.command ?? PYTHON_LAUNCHER, options.args ?? ['-m', 'sweep_worker'], {
      env: { ...process.env, PYTHONUNBUFFERED: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    live.add(this);
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-this.stderrTailBytes);
    });
    this.child.stdin.on('error', () => undefined); // a dead worker's closed pipe surfaces through 'exit'

    let onReady!: (event: ReadyEvent) => void;
    let onReadyFail!: (error: Error) => void;
    this.ready = new Promise<ReadyEvent>((resolve, reject) => {
      onReady = resolve;
      onReadyFail = reject;
    });
    this.ready.catch(() => undefined); // a failed start is reported to whoever awaits a request
    const readyTimer = setTimeout(() => {
      onReadyFail(new WorkerTimeoutError('worker start-up', options.readyTimeoutMs ?? 300_000, this.stderrTail()));
      this.kill();
    }, options.readyTimeoutMs ?? 300_000);

    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let message: ReadyEvent | Reply;
      try {
        message = JSON.parse(line) as ReadyEvent | Reply;
      } catch {
        this.stderr = (this.stderr + `[stdout, not protocol] ${line}\n`).slice(-this.stderrTailBytes);
        return;
      }
      if ('event' in message) {
        clearTimeout(readyTimer);
        if (message.v !== PROTOCOL_VERSION) {
          onReadyFail(new Error(`worker speaks protocol ${message.v}, harness ${PROTOCOL_VERSION}: update harness/worker/protocol.ts and harness/worker/python/sweep_worker/protocol.py together`));
          this.kill();
        } else onReady(message);
        return;
      }
      this.settle(message);
    });

    this.child.on('exit', (code, signal) => {
      live.delete(this);
      clearTimeout(readyTimer);
      this.exitError = new WorkerCrashError(code, signal, this.stderrTail());
      onReadyFail(this.exitError);
      for (const [id, pending] of this.pending) {
        clearTimeout(pending.timer);
        pending.reject(this.exitError);
        this.pending.delete(id);
      }
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitError === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  stderrTail(): string {
    return this.stderr;
  }

  async request<K extends OpName>(op: K, args: Ops[K]['args'], options: { timeoutMs?: number } = {}): Promise<Ops[K]['result']> {
    await this.ready;
    if (this.exitError) throw this.exitError;
    const id = this.nextId++;
    return new Promise<Ops[K]['result']>((resolve, reject) => {
      const pending: Pending = { op, sent: performance.now(), resolve: resolve as (value: unknown) => void, reject };
      if (options.timeoutMs) {
        pending.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new WorkerTimeoutError(`op '${op}'`, options.timeoutMs!, this.stderrTail()));
          this.kill(); // its state is unknown now: never hand it another request
        }, options.timeoutMs);
      }
      this.pending.set(id, pending);
      this.child.stdin.write(`${JSON.stringify({ v: PROTOCOL_VERSION, id, op, args })}\n`);
    });
  }

  private settle(reply: Reply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    clearTimeout(pending.timer);
    this.stats.requests += 1;
    this.stats.roundTripMs += performance.now() - pending.sent;
    this.stats.workerMs += reply.ms;
    this.stats.tensorIoMs += reply.io_ms ?? 0;
    if (reply.ok) pending.resolve(reply.result);
    else pending.reject(new WorkerRequestError(pending.op, reply.error));
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }

  /** Ask the worker to exit; kill it if it does not within ``graceMs``. */
  async close(graceMs = 5_000): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end(); // EOF ends the worker's read loop
    const timer = setTimeout(() => this.kill(), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
