// A pool of warm Python workers. A job borrows one worker for its whole life (load, export, run);
// a worker that crashes or hangs is killed and replaced, and only that job is marked, never the sweep.
import { availableParallelism } from 'node:os';
import pLimit, { type LimitFunction } from 'p-limit';
import { WorkerCrashError, WorkerMemoryError, WorkerTimeoutError } from './errors.js';
import { defaultMemoryLimitMb, MemoryWatch } from './memory-watch.js';
import { PythonWorker, type PythonWorkerOptions } from './python-worker.js';

export type JobOutcome<T> =
  | { status: 'ok'; value: T; workerPid?: number; ms: number; peakRssMb?: number }
  | { status: 'crashed' | 'timeout'; error: string; stderrTail: string; workerPid?: number; ms: number; peakRssMb?: number }
  | { status: 'error'; error: Error; workerPid?: number; ms: number; peakRssMb?: number };

export interface WorkerPoolOptions {
  /** Workers, and so jobs, at once; default: one per core. */
  size?: number;
  /** Wall-clock limit of one job; default 10 minutes. */
  jobTimeoutMs?: number;
  worker?: PythonWorkerOptions;
  /** Replace a worker after this many jobs, to bound memory growth across a long sweep. */
  recycleAfterJobs?: number;
  /** Kill a worker whose resident memory passes this (MB); default 80% of RAM over the workers. */
  maxMemoryMb?: number;
}

interface Slot {
  worker: PythonWorker;
  jobs: number;
}

export class WorkerPool {
  readonly size: number;
  private readonly limit: LimitFunction;
  private readonly idle: Slot[] = [];
  private readonly all = new Set<Slot>();
  readonly jobTimeoutMs: number;
  readonly maxMemoryMb: number;
  private readonly options: WorkerPoolOptions;
  private closed = false;

  constructor(options: WorkerPoolOptions = {}) {
    this.options = options;
    this.size = Math.max(1, options.size ?? availableParallelism());
    this.jobTimeoutMs = options.jobTimeoutMs ?? 600_000;
    this.maxMemoryMb = options.maxMemoryMb ?? defaultMemoryLimitMb(this.size);
    this.limit = pLimit(this.size);
  }

  /** Start every worker now, so their imports overlap instead of delaying the first jobs. */
  async warm(): Promise<void> {
    while (this.all.size < this.size) this.idle.push(this.spawn());
    await Promise.all([...this.all].map((slot) => slot.worker.ready));
  }

  /** Run ``job`` on a worker under the pool's concurrency limit and timeout; never rejects. */
  run<T>(job: (worker: PythonWorker) => Promise<T>, options: { timeoutMs?: number } = {}): Promise<JobOutcome<T>> {
    return this.limit(() => this.runOnSlot(job, options.timeoutMs ?? this.jobTimeoutMs));
  }

  get pending(): number {
    return this.limit.pendingCount;
  }

  private spawn(): Slot {
    const threads = String(Math.max(1, Math.floor(availableParallelism() / this.size)));
    const worker = new PythonWorker({
      ...this.options.worker,
      env: { HF_EXPORTERS_THREADS: threads, ...this.options.worker?.env },
    });
    const slot = { worker, jobs: 0 };
    this.all.add(slot);
    return slot;
  }

  private discard(slot: Slot): void {
    slot.worker.kill();
    this.all.delete(slot);
    // Replace it now, so the replacement's imports overlap with the jobs still running.
    if (!this.closed) this.idle.push(this.spawn());
  }

  private async runOnSlot<T>(job: (worker: PythonWorker) => Promise<T>, timeoutMs: number): Promise<JobOutcome<T>> {
    if (this.closed) throw new Error('WorkerPool is closed; create a new pool to run more jobs.');
    const slot = this.idle.pop() ?? this.spawn();
    const { worker } = slot;
    const start = performance.now();
    const elapsed = () => performance.now() - start;
    try {
      await worker.ready; // start-up is not the job's time: the timeout starts once the worker is warm
    } catch (error) {
      this.discard(slot);
      return { status: 'crashed', error: (error as Error).message, stderrTail: worker.stderrTail(), workerPid: worker.pid, ms: elapsed() };
    }
    let timer: NodeJS.Timeout | undefined;
    let watch: MemoryWatch | undefined;
    const limits = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new WorkerTimeoutError('job', timeoutMs, worker.stderrTail())), timeoutMs);
      watch = new MemoryWatch(worker.pid, this.maxMemoryMb, (rss) => reject(new WorkerMemoryError(rss, this.maxMemoryMb, worker.stderrTail())));
    });
    const peak = () => (watch?.peakMb ? Math.round(watch.peakMb) : undefined);
    try {
      const value = await Promise.race([job(worker), limits]);
      slot.jobs += 1;
      this.release(slot);
      return { status: 'ok', value, workerPid: worker.pid, ms: elapsed(), peakRssMb: peak() };
    } catch (error) {
      const limitHit = error instanceof WorkerTimeoutError || error instanceof WorkerMemoryError;
      if (limitHit || error instanceof WorkerCrashError || !worker.alive) {
        this.discard(slot);
        const status = error instanceof WorkerTimeoutError ? 'timeout' : 'crashed';
        const message = error instanceof Error ? error.message : String(error);
        return { status, error: message, stderrTail: worker.stderrTail(), workerPid: worker.pid, ms: elapsed(), peakRssMb: peak() };
      }
      slot.jobs += 1;
      this.release(slot);
      return { status: 'error', error: error as Error, workerPid: worker.pid, ms: elapsed(), peakRssMb: peak() };
    } finally {
      clearTimeout(timer);
      watch?.stop();
    }
  }

  private release(slot: Slot): void {
    const recycle = this.options.recycleAfterJobs;
    if (this.closed || (recycle !== undefined && slot.jobs >= recycle)) {
      this.all.delete(slot);
      void slot.worker.close();
      return;
    }
    this.idle.push(slot);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.limit.clearQueue();
    const slots = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(slots.map((slot) => slot.worker.close()));
  }
}
