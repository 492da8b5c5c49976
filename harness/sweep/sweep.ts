// The sweep engine: checkpoints first (one per model), then every job on the warm pool. Each job
// ends in exactly one result, appended to the run folder the moment it ends, so a killed sweep
// loses nothing finished and --resume runs only what is missing.
import { join } from 'node:path';
import type { ModelEntry } from '../catalog/default-models.js';
import { newManifest, RunFolder, type Selection } from '../results/run-folder.js';
import { OnnxRunner } from '../runtimes/onnx-runner.js';
import { findSkip, skipRef, type SkipLists } from '../skips/skip-list.js';
import { WorkerPool, type JobOutcome } from '../worker/pool.js';
import type { PythonWorker } from '../worker/python-worker.js';
import { ensureCheckpoint } from './checkpoints.js';
import type { JobResult } from './job-result.js';
import { jobSeed, type Job, type Mode } from './jobs.js';
import { runJob, type FuzzSettings } from './run-job.js';

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
  /** Dynamic-shape fuzzing; ``replay`` uses ``seed`` as is instead of deriving one per job. */
  fuzz?: FuzzSettings & { replay?: boolean };
  skipLists?: SkipLists;
  /** Run export-skip jobs anyway and mark entries whose jobs now pass as stale. */
  probeSkips?: boolean;
  /** Extra export config per job (tests plant bugs through it). */
  exportConfig?: (job: Job) => Record<string, unknown> | undefined;
  /** Environment of the Python workers (tests enable the debug ops with it). */
  workerEnv?: Record<string, string>;
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
    finishedAt: new Date().toISOString(),
  };
}

function selectionOf(jobs: Job[], fuzz: SweepOptions['fuzz']): Selection {
  return {
    models: [...new Map(jobs.map((job) => [job.model.id, job.model])).values()],
    backends: [...new Set(jobs.map((job) => job.backend))],
    modes: [...new Set(jobs.map((job) => job.mode))] as Mode[],
    shapes: fuzz?.numRuns ?? DEFAULT_SHAPES,
    seed: fuzz?.seed ?? 0,
  };
}

export async function runSweep(options: SweepOptions): Promise<SweepRun> {
  const start = performance.now();
  const folder = new RunFolder(options.runDir);
  const pool = new WorkerPool({
    size: options.workers, jobTimeoutMs: options.jobTimeoutMs, maxMemoryMb: options.maxMemoryMb, worker: { env: options.workerEnv },
  });
  const onnx = new OnnxRunner();
  const results: JobResult[] = [];
  const exportSkip = options.skipLists?.exportSkip ?? [];
  const disableOptimize = options.skipLists?.disableOptimize ?? [];
  const skipOf = (job: Job) => findSkip(exportSkip, job);
  const finish = (result: JobResult) => {
    folder.store.append(result);
    results.push(result);
    options.onResult?.(result, results.length, options.jobs.length);
  };
  try {
    const resuming = folder.exists();
    const manifest = resuming ? folder.readManifest() : undefined;
    if (!manifest) {
      const hello = await pool.run((worker) => worker.request('hello', {}));
      const versions = hello.status === 'ok' ? hello.value.versions : {};
      const created = newManifest(options.selection ?? selectionOf(options.jobs, options.fuzz), versions);
      folder.writeManifest({ ...created, jobs: options.jobs.map((job) => job.id) });
    }
    const toRun = options.jobs.filter((job) => options.probeSkips || !skipOf(job));
    for (const job of options.jobs.filter((j) => !toRun.includes(j))) {
      finish({ ...baseResult(job), status: 'skipped', skip: skipRef(skipOf(job)!), durationsMs: { total: 0 }, shapes: [], finishedAt: new Date().toISOString() });
    }
    const models = [...new Map(toRun.map((job) => [job.model.id, job.model])).values()];
    const checkpoints = new Map<string, JobOutcome<string>>();
    const modelDirs = new Map<string, string>();
    await Promise.all(models.map(async (model: ModelEntry) => {
      checkpoints.set(model.id, await pool.run((worker) => (options.resolveModel ?? ensureCheckpoint)(worker, model)));
    }));
    const timeoutMs = pool.jobTimeoutMs;
    await Promise.all(toRun.map(async (job) => {
      const checkpoint = checkpoints.get(job.model.id)!;
      const workaround = job.backend === 'onnx' ? findSkip(disableOptimize, job) : undefined;
      let result: JobResult;
      if (checkpoint.status === 'ok') modelDirs.set(job.model.id, checkpoint.value);
      if (checkpoint.status !== 'ok') {
        result = { ...failedResult(job, checkpoint), status: checkpoint.status === 'error' ? 'export-error' : checkpoint.status, stage: 'checkpoint' };
      } else {
        const fuzz = options.fuzz ?? { numRuns: DEFAULT_SHAPES, seed: 0 };
        const context = {
          workDir: join(options.runDir, 'jobs'), onnx, modelDirs, trustRemoteCode: options.trustRemoteCode,
          fuzz: { ...fuzz, seed: fuzz.replay ? fuzz.seed : jobSeed(fuzz.seed, job.id) },
          fuzzBudgetMs: timeoutMs * 0.6,
          exportConfig: { ...options.exportConfig?.(job), ...(workaround ? { optimize: false } : {}) },
        };
        const outcome = await pool.run((worker) => runJob(worker, job, context));
        result = outcome.status === 'ok' ? { ...outcome.value, peakRssMb: outcome.peakRssMb } : failedResult(job, outcome);
      }
      if (workaround) result.workaround = skipRef(workaround);
      const skip = skipOf(job);
      if (skip) {
        result = result.status === 'pass'
          ? { ...result, skip: skipRef(skip), staleSkip: true }
          : { ...result, skip: skipRef(skip), probed: result.status, status: 'skipped' };
      }
      finish(result);
    }));
    folder.writeManifest({ ...folder.readManifest(), endedAt: new Date().toISOString() });
  } finally {
    await Promise.all([pool.close(), onnx.close()]);
  }
  return { runDir: options.runDir, resultsPath: folder.store.path, results, wallMs: performance.now() - start };
}
