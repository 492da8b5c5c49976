// The sweep engine: checkpoints first (one per model), then every job on the warm pool. Each job
// ends in exactly one result, appended to the run folder the moment it ends, so a killed sweep
// loses nothing finished and --resume runs only what is missing.
import { join } from 'node:path';
import type { ModelEntry } from '../catalog/default-models.js';
import { isPeer, peerEnv, type Implementation } from '../peers/implementations.js';
import { newManifest, RunFolder, type Selection } from '../results/run-folder.js';
import { OnnxRunner } from '../runtimes/onnx-runner.js';
import { findSkip, skipRef, type SkipLists } from '../skips/skip-list.js';
import { WorkerPool, type JobOutcome } from '../worker/pool.js';
import type { PythonWorker } from '../worker/python-worker.js';
import { ensureCheckpoint } from './checkpoints.js';
import type { JobResult } from './job-result.js';
import { jobSeed, type Job, type Mode } from './jobs.js';
import { runGenerateJob } from './run-generate-job.js';
import { runJob, type FuzzSettings } from './run-job.js';
import { loadTimings, longestFirst, saveTimings } from './schedule.js';

export interface SweepOptions {
  jobs: Job[];
  runDir: string;
  /** What the manifest records as asked for; default: derived from the jobs. A run folder that
   * already has a manifest is being resumed: its manifest is kept. */
  selection?: Selection;
  /** Where each model comes from; default: its tiny checkpoint built from the entry's config. */
  resolveModel?: (worker: PythonWorker, model: ModelEntry) => Promise<string>;
  trustRemoteCode?: boolean;
  workers?: number;
  jobTimeoutMs?: number;
  maxMemoryMb?: number;
  /** Replace a worker after this many jobs (bounds memory growth; 1 = a fresh process per job). */
  recycleAfterJobs?: number;
  /** Dynamic-shape fuzzing; ``replay`` uses ``seed`` as is instead of deriving one per job. */
  fuzz?: FuzzSettings & { replay?: boolean };
  skipLists?: SkipLists;
  /** Run export-skip jobs anyway and mark entries whose jobs now pass as stale. */
  probeSkips?: boolean;
  /** Reuse artifacts of identical earlier jobs (see artifact-cache.ts); the CLI turns it on. */
  artifactCache?: boolean;
  /** Extra export config per job (tests plant bugs through it). */
  exportConfig?: (job: Job) => Record<string, unknown> | undefined;
  /** Environment of the Python workers (tests enable the debug ops with it). */
  workerEnv?: Record<string, string>;
  /** Whose exporter makes the artifacts: ours (default) or a peer such as upstream's transformers.exporters. */
  implementation?: Implementation;
  onResult?: (result: JobResult, done: number, total: number) => void;
}

export interface SweepRun {
  runDir: string;
  resultsPath: string;
  results: JobResult[];
  wallMs: number;
}

const DEFAULT_SHAPES = 10;

function baseResult(job: Job): Pick<JobResult, 'id' | 'model' | 'modelClass' | 'backend' | 'mode'> {
  return { id: job.id, model: job.model.id, modelClass: job.model.class, backend: job.backend, mode: job.mode };
}

function failedResult(job: Job, outcome: Exclude<JobOutcome<unknown>, { status: 'ok' }>): JobResult {
  const error = outcome.status === 'error' ? `${outcome.error.name}: ${outcome.error.message}` : outcome.error;
  return {
    ...baseResult(job),
    status: outcome.status === 'timeout' ? 'timeout' : 'crashed',
    durationsMs: { total: outcome.ms },
    shapes: [],
    error: error.split('\n').slice(0, 5).join('\n'),
    stderrTail: 'stderrTail' in outcome ? outcome.stderrTail.slice(-4000) : undefined,
    peakRssMb: outcome.peakRssMb,
    workerPid: outcome.workerPid,
    finishedAt: new Date().toISOString(),
  };
}

function selectionOf(jobs: Job[], fuzz: SweepOptions['fuzz'], implementation: Implementation | undefined): Selection {
  return {
    models: [...new Map(jobs.map((job) => [job.model.id, job.model])).values()],
    backends: [...new Set(jobs.map((job) => job.backend))],
    modes: [...new Set(jobs.map((job) => job.mode))] as Mode[],
    shapes: fuzz?.numRuns ?? DEFAULT_SHAPES,
    seed: fuzz?.seed ?? 0,
    ...(isPeer(implementation) ? { implementation } : {}),
  };
}

/**
 * A warm pool, its checkpoints and the run folder, running jobs on demand: the sweep runs them all
 * at once, a vitest suite one test per job (so vitest's filters and retries apply per job).
 */
export class SweepSession {
  readonly folder: RunFolder;
  private readonly pool: WorkerPool;
  private readonly onnx = new OnnxRunner();
  private readonly checkpoints = new Map<string, Promise<JobOutcome<string>>>();
  private readonly modelDirs = new Map<string, string>();
  private manifestWritten: Promise<void> | undefined;
  readonly results: JobResult[] = [];

  constructor(private readonly options: SweepOptions) {
    this.folder = new RunFolder(options.runDir);
    this.pool = new WorkerPool({
      size: options.workers, jobTimeoutMs: options.jobTimeoutMs, maxMemoryMb: options.maxMemoryMb, recycleAfterJobs: options.recycleAfterJobs,
      worker: { env: { ...peerEnv(options.implementation), ...options.workerEnv } },
    });
  }

  /** A new run folder gets its manifest (with the worker's installed versions); a resumed one keeps it. */
  private ensureManifest(): Promise<void> {
    this.manifestWritten ??= (async () => {
      if (this.folder.exists()) return;
      const hello = await this.pool.run((worker) => worker.request('hello', {}));
      const versions = hello.status === 'ok' ? hello.value.versions : {};
      const created = newManifest(this.options.selection ?? selectionOf(this.options.jobs, this.options.fuzz, this.options.implementation), versions);
      this.folder.writeManifest({ ...created, jobs: this.options.jobs.map((job) => job.id) });
    })();
    return this.manifestWritten;
  }

  private checkpoint(model: ModelEntry): Promise<JobOutcome<string>> {
    let found = this.checkpoints.get(model.id);
    if (!found) {
      found = this.pool.run((worker) => (this.options.resolveModel ?? ensureCheckpoint)(worker, model));
      this.checkpoints.set(model.id, found);
    }
    return found;
  }

  private finish(result: JobResult): JobResult {
    if (isPeer(this.options.implementation)) result.implementation = this.options.implementation;
    this.folder.store.append(result);
    this.results.push(result);
    this.options.onResult?.(result, this.results.length, this.options.jobs.length);
    return result;
  }

  /** One job to its one result, appended to the run folder; never rejects for the job's own failure. */
  async run(job: Job): Promise<JobResult> {
    const { options } = this;
    await this.ensureManifest();
    const skip = findSkip(options.skipLists?.exportSkip ?? [], job);
    if (skip && !options.probeSkips) {
      return this.finish({ ...baseResult(job), status: 'skipped', skip: skipRef(skip), durationsMs: { total: 0 }, shapes: [], finishedAt: new Date().toISOString() });
    }
    const workaround = job.backend === 'onnx' ? findSkip(options.skipLists?.disableOptimize ?? [], job) : undefined;
    const checkpoint = await this.checkpoint(job.model);
    let result: JobResult;
    if (checkpoint.status !== 'ok') {
      result = { ...failedResult(job, checkpoint), status: checkpoint.status === 'error' ? 'export-error' : checkpoint.status, stage: 'checkpoint' };
    } else {
      this.modelDirs.set(job.model.id, checkpoint.value);
      const fuzz = options.fuzz ?? { numRuns: DEFAULT_SHAPES, seed: 0 };
      const context = {
        workDir: join(options.runDir, 'jobs'), onnx: this.onnx, modelDirs: this.modelDirs, trustRemoteCode: options.trustRemoteCode,
        fuzz: { ...fuzz, seed: fuzz.replay ? fuzz.seed : jobSeed(fuzz.seed, job.id) },
        fuzzBudgetMs: this.pool.jobTimeoutMs * 0.6,
        artifactCache: options.artifactCache,
        exportConfig: { ...options.exportConfig?.(job), ...(workaround ? { optimize: false } : {}) },
        implementation: options.implementation,
      };
      const outcome = await this.pool.run((worker) => (job.mode === 'generate' ? runGenerateJob : runJob)(worker, job, context));
      result = outcome.status === 'ok' ? { ...outcome.value, peakRssMb: outcome.peakRssMb, workerPid: outcome.workerPid } : failedResult(job, outcome);
    }
    if (workaround) result.workaround = skipRef(workaround);
    if (skip) {
      result = result.status === 'pass'
        ? { ...result, skip: skipRef(skip), staleSkip: true }
        : { ...result, skip: skipRef(skip), probed: result.status, status: 'skipped' };
    }
    return this.finish(result);
  }

  async close(): Promise<void> {
    if (this.folder.exists()) this.folder.writeManifest({ ...this.folder.readManifest(), endedAt: new Date().toISOString() });
    await Promise.all([this.pool.close(), this.onnx.close()]);
  }
}

export async function runSweep(options: SweepOptions): Promise<SweepRun> {
  const start = performance.now();
  const session = new SweepSession(options);
  try {
    // the pool starts jobs in the order they are asked for
    await Promise.all(longestFirst(options.jobs, loadTimings()).map((job) => session.run(job)));
  } finally {
    await session.close();
    saveTimings(session.results);
  }
  return { runDir: options.runDir, resultsPath: session.folder.store.path, results: session.results, wallMs: performance.now() - start };
}
