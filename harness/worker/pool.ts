// A pool of warm Python workers. A job borrows one worker for its whole life (load, export, run);
// a worker that crashes or hangs is killed and replaced, and only that job is marked, never the sweep.
import { availableParallelism } from 'node:os';
import { WorkerCrashError, WorkerMemoryError, WorkerTimeoutError } from './errors.js';
import { defaultMemoryLimitMb, MemoryWatch } from './memory-watch.js';
import { PythonWorker, type PythonWorkerOptions } from './python-worker.js';

export type JobOutcome<T> =
  | { status: 'ok'; value: T; workerPid?: number; ms: number; peakRssMb?: number }
  | { status: 'crashed' | 'timeout' | 'unstarted'; error: string; errorType: string; stderrTail: string; workerPid?: number; ms: number; peakRssMb?: number }
  | { status: 'error'; error: Error; workerPid?: number; ms: number; peakRssMb?: number };

/**
 * Torch threads per worker. One: a sweep's parallelism is its workers, and a worker's tiny-model
 * matmuls gain nothing from a second thread while losing much to a busy core (BENCHMARKS.md, fuzz
 * throughput: one worker with two threads ran 11x slower than with one on a loaded machine).
 */
export const DEFAULT_WORKER_THREADS = 1;

/**
 * A worker's resident memory grows job after job (BENCHMARKS.md figure 7: about 1 GB at its first
 * job, then 7-18 MB more per job, 1.25-1.7x after 40-50 jobs). Replacing it after 100 jobs keeps it
 * near 2.5 GB, inside the default --max-memory of a 16 GB, 4-core runner (3.2 GB each), while the
 * fresh worker's start and first export (23-28 s, figure 2) cost 3-5% over those 100 jobs. The
 * default sweep (about 50 jobs per worker on 2 cores) never reaches it.
 */
export const DEFAULT_RECYCLE_AFTER_JOBS = 100;

/**
 * Workers a job may be given when the one it got fails to start (its imports timing out on a loaded
 * machine, a process killed during start-up). The job never ran on such a worker, so it is moved to
 * a fresh one rather than failed; when none of them starts it is ``unstarted``, a harness problem.
 */
export const WORKER_START_ATTEMPTS = 3;

export interface WorkerPoolOptions {
  /** Workers, and so jobs, at once; default: one per core. */
  size?: number;
  /** Wall-clock limit of one job; default 10 minutes. */
  jobTimeoutMs?: number;
  worker?: PythonWorkerOptions;
  /** Replace a worker after this many jobs, to bound memory growth across a long sweep; default
   * DEFAULT_RECYCLE_AFTER_JOBS, 0 never. */
  recycleAfterJobs?: number;
  /** Kill a worker whose resident memory passes this (MB); default 80% of RAM over the workers. */
  maxMemoryMb?: number;
  /** Torch threads in each worker; default DEFAULT_WORKER_THREADS. */
  threads?: number;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Lower runs first; equal ones in the order asked (the sweep passes its schedule's order, since
   * a job is only asked for once its checkpoint is ready). Default 0. */
  priority?: number;
  /** A model id: among idle workers, one that has it loaded (PythonWorker.loadedModels) is preferred. */
  affinity?: string;
}

interface Slot {
  worker: PythonWorker;
  jobs: number;
}

interface Waiting {
  priority: number;
  order: number;
  affinity?: string;
  start: (slot: Slot) => void;
}

export class WorkerPool {
  readonly size: number;
  private readonly idle: Slot[] = [];
  private readonly all = new Set<Slot>();
  private readonly waiting: Waiting[] = [];
  private running = 0;
  private asked = 0;
  readonly jobTimeoutMs: number;
  readonly maxMemoryMb: number;
  readonly recycleAfterJobs: number;
  private readonly options: WorkerPoolOptions;
  private closed = false;

  constructor(options: WorkerPoolOptions = {}) {
    this.options = options;
    this.size = Math.max(1, options.size ?? availableParallelism());
    this.jobTimeoutMs = options.jobTimeoutMs ?? 600_000;
    this.maxMemoryMb = options.maxMemoryMb ?? defaultMemoryLimitMb(this.size);
    this.recycleAfterJobs = options.recycleAfterJobs ?? DEFAULT_RECYCLE_AFTER_JOBS;
  }

  /** Start every worker now, so their imports overlap instead of delaying the first jobs. */
  async warm(): Promise<void> {
    while (this.all.size < this.size) this.idle.push(this.spawn());
    await Promise.all([...this.all].map((slot) => slot.worker.ready));
  }

  /** Run ``job`` on a worker, at most ``size`` at once, under the pool's timeout; never rejects. */
  run<T>(job: (worker: PythonWorker) => Promise<T>, options: RunOptions = {}): Promise<JobOutcome<T>> {
    if (this.closed) return Promise.reject(new Error('WorkerPool is closed; create a new pool to run more jobs.'));
    const timeoutMs = options.timeoutMs ?? this.jobTimeoutMs;
    return new Promise((resolve) => {
      this.waiting.push({
        priority: options.priority ?? 0, order: this.asked++, affinity: options.affinity,
        start: (slot) => void this.runOnSlot(slot, job, timeoutMs).then((outcome) => {
          this.running -= 1;
          this.dispatch();
          resolve(outcome);
        }),
      });
      this.dispatch();
    });
  }

  get pending(): number {
    return this.waiting.length;
  }

  private dispatch(): void {
    while (!this.closed && this.running < this.size && this.waiting.length) {
      const first = this.waiting.reduce((best, w, i) => {
        const b = this.waiting[best];
        return w.priority < b.priority || (w.priority === b.priority && w.order < b.order) ? i : best;
      }, 0);
      const [next] = this.waiting.splice(first, 1);
      this.running += 1;
      next.start(this.takeSlot(next.affinity));
    }
  }

  /** An idle worker, preferring one that holds ``affinity`` loaded (no load, no second copy). */
  private takeSlot(affinity: string | undefined): Slot {
    const holder = affinity === undefined ? -1 : this.idle.findIndex((slot) => slot.worker.loadedModels.has(affinity));
    if (holder >= 0) return this.idle.splice(holder, 1)[0];
    return this.idle.pop() ?? this.spawn();
  }

  private spawn(): Slot {
    const worker = new PythonWorker({
      ...this.options.worker,
      env: { SWEEP_WORKER_THREADS: String(this.options.threads ?? DEFAULT_WORKER_THREADS), ...this.options.worker?.env },
    });
    const slot = { worker, jobs: 0 };
    this.all.add(slot);
    return slot;
  }

  /** Retire a worker (killed, or closed when recycled); when jobs are waiting, start its
   * replacement now, so its imports overlap with the jobs still running. */
  private replace(slot: Slot, stop: 'kill' | 'close'): void {
    this.all.delete(slot);
    if (stop === 'kill') slot.worker.kill();
    else void slot.worker.close();
    if (!this.closed && this.waiting.length) this.idle.push(this.spawn());
  }

  /** A started worker for the job: ``given``, or a fresh one in its place when it fails to start. */
  private async startedSlot(given: Slot, start: number): Promise<Slot | Exclude<JobOutcome<never>, { status: 'ok' }>> {
    let slot = given;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await slot.worker.ready;
        return slot;
      } catch (error) {
        const failed = slot.worker;
        if (attempt >= WORKER_START_ATTEMPTS || this.closed) {
          this.replace(slot, 'kill');
          const { name, message } = error as Error;
          return { status: 'unstarted', error: `no worker started for this job in ${attempt} attempts; the last: ${message}`, errorType: name, stderrTail: failed.stderrTail(), workerPid: failed.pid, ms: performance.now() - start };
        }
        this.all.delete(slot);
        failed.kill();
        slot = this.spawn();
      }
    }
  }

  private async runOnSlot<T>(given: Slot, job: (worker: PythonWorker) => Promise<T>, timeoutMs: number): Promise<JobOutcome<T>> {
    const start = performance.now();
    const elapsed = () => performance.now() - start;
    // start-up is not the job's time: the timeout starts once the worker is warm
    const slot = await this.startedSlot(given, start);
    if (!('worker' in slot)) return slot;
    const { worker } = slot;
    let timer: NodeJS.Timeout | undefined;
    let watch: MemoryWatch | undefined;
    const limits = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new WorkerTimeoutError('job', timeoutMs, worker.stderrTail())), timeoutMs);
      watch = new MemoryWatch(worker.pid, this.maxMemoryMb, (rss) => reject(new WorkerMemoryError(rss, this.maxMemoryMb, worker.stderrTail())));
    });
    const peak = () => (watch?.peakMb ? Math.round(watch.peakMb) : undefined);
    try {
      const value = await Promise.race([job(worker), limits]);
      this.release(slot);
      return { status: 'ok', value, workerPid: worker.pid, ms: elapsed(), peakRssMb: peak() };
    } catch (error) {
      const limitHit = error instanceof WorkerTimeoutError || error instanceof WorkerMemoryError;
      if (limitHit || error instanceof WorkerCrashError || !worker.alive) {
        this.replace(slot, 'kill');
        const status = error instanceof WorkerTimeoutError ? 'timeout' : 'crashed';
        const message = error instanceof Error ? error.message : String(error);
        return { status, error: message, errorType: error instanceof Error ? error.name : typeof error, stderrTail: worker.stderrTail(), workerPid: worker.pid, ms: elapsed(), peakRssMb: peak() };
      }
      this.release(slot);
      return { status: 'error', error: error as Error, workerPid: worker.pid, ms: elapsed(), peakRssMb: peak() };
    } finally {
      clearTimeout(timer);
      watch?.stop();
    }
  }

  private release(slot: Slot): void {
    slot.jobs += 1;
    if (this.closed) {
      this.all.delete(slot);
      void slot.worker.close();
    } else if (this.recycleAfterJobs > 0 && slot.jobs >= this.recycleAfterJobs) this.replace(slot, 'close');
    else this.idle.push(slot);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
    const slots = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(slots.map((slot) => slot.worker.close()));
  }
}
