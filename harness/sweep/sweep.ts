// The sweep engine: checkpoints first (one per model), then every job on the warm pool. Each job
// ends in exactly one result, appended to the run folder the moment it ends, so a killed sweep
// loses nothing finished and --resume runs only what is missing.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelEntry } from '../catalog/default-models.js';
import { isPeer, peerEnv, type Implementation } from '../peers/implementations.js';
import { knownVersions, rememberVersions } from '../python/installed-versions.js';
import { pinFile, pinSetName } from '../python/pin-set.js';
import { newManifest, RunFolder, type Selection } from '../results/run-folder.js';
import { OnnxRunner } from '../runtimes/onnx-runner.js';
import { expected } from '../skips/expected-outcome.js';
import { findSkip, skipRef, type SkipLists } from '../skips/skip-list.js';
import { WorkerPool, type JobOutcome } from '../worker/pool.js';
import type { PythonWorker } from '../worker/python-worker.js';
import { artifactKey, exportRequest } from './artifact-cache.js';
import { checkpointContent } from './checkpoint-content.js';
import { tinyCheckpoint, type ModelResolver } from './checkpoints.js';
import { failedResult } from './failed-result.js';
import { baseResult, isFailure, type JobResult, type Stage } from './job-result.js';
import { writeRepro } from './repro.js';
import { jobSeed, jobWorkDir, type Job, type Mode } from './jobs.js';
import { cachedResult, resultKey, storeResult } from './result-cache.js';
import { runGenerateJob } from './run-generate-job.js';
import { runJob, SAMPLE_INPUTS, shapeTag, type FuzzSettings, type JobContext } from './run-job.js';
import { loadTimings, longestFirst, saveTimings } from './schedule.js';

export interface SweepOptions {
  jobs: Job[];
  runDir: string;
  /** What the manifest records as asked for; default: derived from the jobs. A run folder that
   * already has a manifest is being resumed: its manifest is kept. */
  selection?: Selection;
  /** Where each model comes from; default: its tiny checkpoint built from the entry's config. */
  resolveModel?: ModelResolver;
  trustRemoteCode?: boolean;
  workers?: number;
  jobTimeoutMs?: number;
  maxMemoryMb?: number;
  /** Torch threads per worker; default DEFAULT_WORKER_THREADS (worker/pool.ts). */
  threads?: number;
  /** Replace a worker after this many jobs (bounds memory growth; 1 = a fresh process per job,
   * 0 never); default DEFAULT_RECYCLE_AFTER_JOBS (worker/pool.ts). */
  recycleAfterJobs?: number;
  /** The order jobs start in: longest first with a model's jobs together (default, schedule.ts), or
   * as given in ``jobs``. */
  schedule?: 'longest-first' | 'as-given';
  /** Models each worker keeps loaded between jobs (model-cache.ts); 0 loads every job's model afresh. */
  modelsPerWorker?: number;
  /** Run onnxruntime-node while the worker computes eager (default on; off only to measure it). */
  overlapRuntimes?: boolean;
  /** Dynamic-shape fuzzing; ``replay`` uses ``seed`` as is instead of deriving one per job. */
  fuzz?: FuzzSettings & { replay?: boolean };
  skipLists?: SkipLists;
  /** Run export-skip jobs anyway and mark entries whose jobs now pass as stale. */
  probeSkips?: boolean;
  /** Reuse artifacts of identical earlier jobs (see artifact-cache.ts); the CLI turns it on. */
  artifactCache?: boolean;
  /** Reuse whole results of identical earlier jobs that passed (result-cache.ts); default: as artifactCache. */
  resultCache?: boolean;
  /** Where both caches live; default cacheRoot(). */
  cacheDir?: string;
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
  private readonly contents = new Map<string, Promise<string | undefined>>();
  /** Aborted on close: a hub request still pending then (its job already ended) must not keep the process alive. */
  private readonly closing = new AbortController();
  private readonly modelDirs = new Map<string, string>();
  private manifestWritten: Promise<void> | undefined;
  /** The pin set this session's workers run under: skip-list entries apply only where it is listed. */
  private readonly pinSet = pinSetName();
  readonly results: JobResult[] = [];

  constructor(private readonly options: SweepOptions) {
    this.folder = new RunFolder(options.runDir);
    this.pool = new WorkerPool({
      size: options.workers, jobTimeoutMs: options.jobTimeoutMs, maxMemoryMb: options.maxMemoryMb, recycleAfterJobs: options.recycleAfterJobs,
      threads: options.threads, worker: { env: { ...peerEnv(options.implementation), ...options.workerEnv } },
    });
  }

  /** A new run folder gets its manifest (with the worker's installed versions); a resumed one keeps it. */
  private ensureManifest(): Promise<void> {
    this.manifestWritten ??= (async () => {
      if (this.folder.exists()) return;
      let versions = this.reuseResults ? knownVersions() : undefined;
      if (!versions) {
        const hello = await this.pool.run((worker) => worker.request('hello', {}));
        versions = hello.status === 'ok' ? hello.value.versions : {};
        if (hello.status === 'ok') rememberVersions(versions);
      }
      const created = newManifest(this.options.selection ?? selectionOf(this.options.jobs, this.options.fuzz, this.options.implementation), versions);
      this.folder.writeManifest({ ...created, jobs: this.options.jobs.map((job) => job.id) });
      this.folder.keepPinSet(pinFile());
    })();
    return this.manifestWritten;
  }

  /** The model's checkpoint folder, once per session. Only what needs Python runs on the pool, and
   * a failure there keeps its pool outcome (crashed, timeout and stderr tail); a failure of the
   * harness's own part (a hub request, a missing folder) is an ``error`` outcome. */
  private checkpoint(model: ModelEntry): Promise<JobOutcome<string>> {
    let found = this.checkpoints.get(model.id);
    if (!found) {
      found = (async () => {
        const start = performance.now();
        let failedOnPool: Exclude<JobOutcome<unknown>, { status: 'ok' }> | undefined;
        const onWorker = async <T>(work: (worker: PythonWorker) => Promise<T>): Promise<T> => {
          const outcome = await this.pool.run(work);
          if (outcome.status === 'ok') return outcome.value;
          failedOnPool = outcome;
          throw outcome.status === 'error' ? outcome.error : new Error(outcome.error);
        };
        try {
          const dir = await (this.options.resolveModel ?? tinyCheckpoint)(model, onWorker, this.closing.signal);
          return { status: 'ok' as const, value: dir, ms: performance.now() - start };
        } catch (error) {
          return failedOnPool ?? { status: 'error' as const, error: error instanceof Error ? error : new Error(String(error)), ms: performance.now() - start };
        }
      })();
      this.checkpoints.set(model.id, found);
    }
    return found;
  }

  /** checkpointContent() of the model's resolved checkpoint; undefined when there is none (the job
   * then fails at its checkpoint in execute) or it cannot be read (it fails at load): no cache key. */
  private modelContent(model: ModelEntry): Promise<string | undefined> {
    let found = this.contents.get(model.id);
    if (!found) {
      found = this.checkpoint(model).then((c) => (c.status === 'ok' ? checkpointContent(c.value) : undefined)).catch(() => undefined);
      this.contents.set(model.id, found);
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

  private get reuseResults(): boolean {
    return !this.options.trustRemoteCode && (this.options.resultCache ?? Boolean(this.options.artifactCache));
  }

  /** One job to its one result, appended to the run folder; never rejects for the job's own failure.
   * ``priority``: its place in the sweep's schedule (the pool starts lower first). */
  async run(job: Job, priority?: number): Promise<JobResult> {
    const { options } = this;
    await this.ensureManifest();
    const skip = findSkip(options.skipLists?.exportSkip ?? [], job, this.pinSet);
    if (skip?.kind === 'skip' && !options.probeSkips) {
      return this.finish({ ...baseResult(job), status: 'skipped', skip: skipRef(skip), durationsMs: { total: 0 }, shapes: [], finishedAt: new Date().toISOString() });
    }
    const workaround = job.backend === 'onnx' ? findSkip(options.skipLists?.disableOptimize ?? [], job, this.pinSet) : undefined;
    const fuzz = options.fuzz ?? { numRuns: DEFAULT_SHAPES, seed: 0 };
    const context: Omit<JobContext, 'modelDirs'> = {
      workDir: join(options.runDir, 'jobs'), onnx: this.onnx, trustRemoteCode: options.trustRemoteCode,
      fuzz: { ...fuzz, seed: fuzz.replay ? fuzz.seed : jobSeed(fuzz.seed, job.id) },
      fuzzBudgetMs: this.pool.jobTimeoutMs * 0.6,
      // The cache keys name a model by its source, not by the repo code that runs: under trust, an
      // edited modeling file must not reuse an old artifact, nor a trusted pass answer a run without trust.
      artifactCache: options.artifactCache && !options.trustRemoteCode, cacheDir: options.cacheDir,
      exportConfig: { ...options.exportConfig?.(job), ...(workaround ? { optimize: false } : {}) },
      implementation: options.implementation, overlapRuntimes: options.overlapRuntimes, modelsPerWorker: options.modelsPerWorker,
    };
    // Both keys hold the checkpoint's content, so it is resolved before any cache is asked: an
    // edited local: folder or a moved hub branch is a new key, never the old folder's result.
    const modelContent = await this.modelContent(job.model);
    const artifact = modelContent === undefined ? undefined : artifactKey(job, exportRequest(job, context.exportConfig, context.implementation), modelContent);
    const reuse = this.reuseResults && artifact ? resultKey(artifact, job.mode === 'dynamic' ? context.fuzz : undefined) : undefined;
    const result = (reuse && cachedResult(reuse, options.cacheDir)) || await this.execute(job, { ...context, artifactKey: artifact }, priority);
    if (modelContent !== undefined) result.modelContent = modelContent;
    if (reuse && !result.resultCached) await storeResult(reuse, result, options.runDir, options.cacheDir);
    if (workaround) result.workaround = skipRef(workaround);
    return this.finish(skip ? expected(result, skip) : result);
  }

  /** The job on a worker, once its checkpoint is there; a worker holding its model is preferred.
   * A checkpoint that cannot be built or loaded leaves the job ``broken``: it never reached the
   * exporter. Every failing job gets its repro.md and repro.py. */
  private async execute(job: Job, context: Omit<JobContext, 'modelDirs'>, priority: number | undefined): Promise<JobResult> {
    const checkpoint = await this.checkpoint(job.model);
    let result: JobResult;
    if (checkpoint.status !== 'ok') {
      const failed = failedResult(job, checkpoint, ['checkpoint']);
      result = { ...failed, status: 'broken', stage: 'checkpoint' };
    } else {
      this.modelDirs.set(job.model.id, checkpoint.value);
      const run = job.mode === 'generate' ? runGenerateJob : runJob;
      const stages: Stage[] = [];
      const outcome = await this.pool.run((worker) => run(worker, job, { ...context, modelDirs: this.modelDirs, stages }), { priority, affinity: job.model.id });
      result = outcome.status === 'ok' ? { ...outcome.value, peakRssMb: outcome.peakRssMb, workerPid: outcome.workerPid } : failedResult(job, outcome, stages);
    }
    if (isFailure(result)) await this.repro(job, context, result);
    return result;
  }

  private async repro(job: Job, context: Omit<JobContext, 'modelDirs'>, result: JobResult): Promise<void> {
    const dir = jobWorkDir(context.workDir, job.id);
    const fuzz = this.options.fuzz;
    // a fuzz failure keeps its smallest failing shape's folder: the script runs the artifact there
    const counterexample = result.fuzz?.counterexample;
    const failing = counterexample && join(dir, shapeTag(counterexample), 'inputs.safetensors');
    try {
      await writeRepro({
        job, result, runDir: this.options.runDir, dir, modelDir: this.modelDirs.get(job.model.id),
        inputs: join(dir, job.mode === 'generate' ? 'prompt-5.safetensors' : SAMPLE_INPUTS),
        runInputs: failing && existsSync(failing) ? failing : undefined,
        config: exportRequest(job, context.exportConfig, context.implementation).config,
        seed: fuzz?.seed ?? 0, versions: this.folder.readManifest().versions,
      });
    } catch (error) {
      // a reproduction is a convenience: failing to write one must not cost the job its result
      result.error = `${result.error ?? ''}\n(repro.md not written: ${(error as Error).message})`.trim();
    }
  }

  async close(): Promise<void> {
    this.closing.abort(new Error('the sweep is closing'));
    if (this.folder.exists()) this.folder.writeManifest({ ...this.folder.readManifest(), endedAt: new Date().toISOString() });
    await Promise.all([this.pool.close(), this.onnx.close()]);
  }
}

export async function runSweep(options: SweepOptions): Promise<SweepRun> {
  const start = performance.now();
  const session = new SweepSession(options);
  try {
    const order = options.schedule === 'as-given' ? options.jobs : longestFirst(options.jobs, loadTimings());
    // ranked from 1, after the checkpoints (0): a job asked for late, once its checkpoint is there,
    // still starts in its place
    await Promise.all(order.map((job, rank) => session.run(job, rank + 1)));
  } finally {
    await session.close();
    saveTimings(session.results);
  }
  return { runDir: options.runDir, resultsPath: session.folder.store.path, results: session.results, wallMs: performance.now() - start };
}
