// One job on one warm worker: load the checkpoint, export, run eager and every runtime of the
// backend at the traced sample and compare leaf by leaf; a dynamic export that passes is then fuzzed
// over the shapes its inputs allow.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { compareOutputs } from '../compare/compare.js';
import { paddingFilter } from '../compare/padding-mask.js';
import { fuzzSpace } from '../fuzz/arbitraries.js';
import { fuzzShapes, type FuzzSummary } from '../fuzz/shape-fuzz.js';
import type { Implementation } from '../peers/implementations.js';
import { runtimesFor, type ExportInfo, type RuntimeContext } from '../runtimes/backend-runtimes.js';
import type { OnnxRunner } from '../runtimes/onnx-runner.js';
import { readSafetensors } from '../tensors/safetensors.js';
import type { PythonWorker } from '../worker/python-worker.js';
import type { JobResult, JobStatus, RuntimeCheck, ShapeCheck } from './job-result.js';
import { cachedArtifact, exportRequest, storeArtifact } from './artifact-cache.js';
import { stage, StageError } from './job-stage.js';
import { SAMPLE_SHAPE, type Job, type Shape } from './jobs.js';
import { DEFAULT_MODELS_PER_WORKER, evictModels, useModel } from './model-cache.js';

function check(runtime: string, against: string, comparison: ReturnType<typeof compareOutputs>, withLeaves: boolean): RuntimeCheck {
  return {
    runtime, against, ok: comparison.ok, maxAbsError: comparison.maxAbsError, maxRelError: comparison.maxRelError,
    failures: comparison.leaves.filter((leaf) => !leaf.ok),
    leaves: withLeaves ? comparison.leaves.map(({ name, maxAbsError, maxRelError }) => ({ name, maxAbsError, maxRelError })) : undefined,
  };
}

export interface FuzzSettings {
  /** Random cases per dynamic job (--shapes); 0 checks the traced sample only. */
  numRuns: number;
  seed: number;
  path?: string;
}

export interface JobContext {
  workDir: string;
  onnx: OnnxRunner;
  /** The checkpoint folder of each model id, resolved from its source before the jobs start. */
  modelDirs: Map<string, string>;
  trustRemoteCode?: boolean;
  fuzz?: FuzzSettings;
  /** Extra export config for this job (e.g. optimize=false from the onnx-disable-optimize list). */
  exportConfig?: Record<string, unknown>;
  /** Job time left for fuzzing, so shrinking ends before the pool's timeout kills the worker. */
  fuzzBudgetMs?: number;
  /** Reuse an artifact exported earlier by an identical job (same checkpoint content, config, pins, code). */
  artifactCache?: boolean;
  /** The job's artifact-cache key (artifact-cache.ts), made from its resolved checkpoint's content;
   * without one no cached artifact is used or stored. */
  artifactKey?: string;
  /** Whose exporter makes the artifact (the worker's default is ours). */
  implementation?: Implementation;
  /** Where the artifact cache lives; default cacheRoot(). */
  cacheDir?: string;
  /** Run the harness-side runtimes (onnxruntime-node) while the worker computes eager; default on. */
  overlapRuntimes?: boolean;
  /** Models the worker keeps loaded after the job (model-cache.ts); 0 loads each job's model afresh. */
  modelsPerWorker?: number;
}

/** Where a job keeps its inputs, outputs and artifact inside the run folder's ``jobs/``. */
export const jobWorkDir = (workDir: string, jobId: string) => join(workDir, jobId.replaceAll('/', '__'));

const shapeTag = (s: Shape) => `${s.batch}x${s.seq}${s.padding && s.padding !== 'none' ? `-${s.padding}` : ''}${s.seed ? `-s${s.seed}` : ''}`;

export async function runJob(worker: PythonWorker, job: Job, context: JobContext): Promise<JobResult> {
  const { workDir, onnx, modelDirs, trustRemoteCode } = context;
  const start = performance.now();
  const dir = jobWorkDir(workDir, job.id);
  await mkdir(dir, { recursive: true });
  const durationsMs: JobResult['durationsMs'] = { total: 0, eager: 0, run: 0, crossRun: 0 };
  const base = { id: job.id, model: job.model.id, modelClass: job.model.class, backend: job.backend, mode: job.mode };
  const runtimes = runtimesFor(job.backend);
  // The boundary's cost: tensor files read here, plus the worker's own tensor I/O and the IPC
  // overhead (round trips minus the worker's time), from its counters over this job.
  let readMs = 0;
  const read = async (path: string) => {
    const t = performance.now();
    try {
      return await readSafetensors(path);
    } finally {
      readMs += performance.now() - t;
    }
  };
  const statsBefore = { ...worker.stats };
  const boundary = () => ({
    tensorIo: readMs + worker.stats.tensorIoMs - statsBefore.tensorIoMs,
    ipc: (worker.stats.roundTripMs - statsBefore.roundTripMs) - (worker.stats.workerMs - statsBefore.workerMs),
  });
  const runtimeContext: RuntimeContext = { worker, onnx, backend: job.backend, read };
  const shapes: ShapeCheck[] = [];
  let artifactBytes: number | undefined;
  let artifactPath: string | undefined;
  let fuzz: FuzzSummary | undefined;
  let artifactCached = false;

  /** Eager and every runtime at one shape; inputs are built by the recipe unless given. */
  async function checkShape(handle: string, exported: ExportInfo, shape: Shape, inputs?: string, withLeaves = false): Promise<ShapeCheck> {
    const shapeDir = join(dir, shapeTag(shape));
    if (!inputs) {
      inputs = join(shapeDir, 'inputs.safetensors');
      const { batch, seq, padding, seed } = shape;
      await stage('inputs', 'runtime-error', () => worker.request('sample_inputs', { model: handle, out: inputs!, batch, seq, padding, seed }));
    }
    const runOn = (runtime: typeof runtimes[number]) => stage(`run:${runtime.name}`, 'runtime-error', () => runtime.run(runtimeContext, exported, inputs!, shapeDir));
    // Started now, awaited in the registry's order below: the same checks, errors and order as one
    // after the other, while the harness-side runs take no extra time.
    const early = runtimes.map((runtime) => (context.overlapRuntimes !== false && runtime.inHarness ? runOn(runtime) : undefined));
    for (const started of early) started?.catch(() => undefined); // a failure surfaces where it is awaited
    const eager = await stage('eager', 'runtime-error', () => worker.request('eager', { model: handle, inputs: inputs!, out: join(shapeDir, 'eager.safetensors') }))
      .catch(async (error) => { await Promise.allSettled(early); throw error; }); // no run outlives its job's session
    durationsMs.eager! += eager.eager_ms;
    const expected = await read(eager.path);
    const mask = shape.padding && shape.padding !== 'none' ? (await read(inputs)).attention_mask : undefined;
    const filter = mask && paddingFilter(mask);
    const checks: RuntimeCheck[] = [];
    let primary: Awaited<ReturnType<typeof runtimes[0]['run']>> | undefined;
    for (const [i, runtime] of runtimes.entries()) {
      const ran = await (early[i] ?? runOn(runtime));
      if (!primary) {
        primary = ran;
        durationsMs.run! += ran.ms;
        checks.push(check(runtime.name, 'eager', compareOutputs(expected, ran.outputs, job.backend, filter), withLeaves));
      } else {
        durationsMs.crossRun! += ran.ms;
        checks.push(check(runtime.name, runtimes[0].name, compareOutputs(primary.outputs, ran.outputs, `${job.backend}:runtimes`), withLeaves));
      }
    }
    const [first] = checks;
    return { shape, ok: first.ok, maxAbsError: first.maxAbsError, maxRelError: first.maxRelError, checks };
  }

  try {
    const { handle, loadMs } = await stage('load', 'export-error', () => useModel(worker, job.model.id, () =>
      worker.request('load', { model_dir: modelDirs.get(job.model.id)!, handle: job.model.id, trust_remote_code: trustRemoteCode })));
    if (loadMs !== undefined) durationsMs.load = loadMs;
    const sample = join(dir, 'inputs-sample.safetensors');
    const recipe = await stage('inputs', 'export-error', () => worker.request('sample_inputs', { model: handle, out: sample, ...SAMPLE_SHAPE }));
    const request = exportRequest(job, context.exportConfig, context.implementation);
    const key = context.artifactCache ? context.artifactKey : undefined;
    const cached = key ? cachedArtifact(key, context.cacheDir) : undefined;
    const exported = cached ?? await stage('export', 'export-error', () =>
      worker.request('export', { model: handle, inputs: sample, out_dir: join(dir, 'artifact'), ...request }),
    );
    if (key && !cached) await storeArtifact(key, exported, context.cacheDir);
    artifactCached = Boolean(cached);
    durationsMs.export = cached ? 0 : exported.export_ms;
    artifactBytes = exported.bytes;
    artifactPath = exported.artifact;
    const sampleCheck = await checkShape(handle, exported, SAMPLE_SHAPE, sample, true);
    shapes.push(sampleCheck);
    const runs = context.fuzz?.numRuns ?? 0;
    if (job.mode === 'dynamic' && shapes[0].ok && (runs > 0 || context.fuzz?.path)) {
      const fuzzStart = performance.now();
      fuzz = await fuzzShapes(fuzzSpace(recipe.dynamic), SAMPLE_SHAPE, async (shape) => {
        try {
          const checked = await checkShape(handle, exported, shape);
          shapes.push(checked);
          if (checked.ok) await rm(join(dir, shapeTag(shape)), { recursive: true, force: true });
          const failed = checked.checks[0].failures[0];
          const error = failed && `${failed.name}: ${failed.problem} (max abs ${failed.maxAbsError.toExponential(2)})`;
          return { ok: checked.ok, status: 'mismatch', error, maxAbsError: checked.maxAbsError, maxRelError: checked.maxRelError };
        } catch (error) {
          if (!(error instanceof StageError)) throw error;
          return { ok: false, status: error.status, error: `${error.stage}: ${error.message.split('\n')[0]}`, maxAbsError: Infinity, maxRelError: Infinity };
        }
      }, { numRuns: runs, seed: context.fuzz!.seed, path: context.fuzz!.path, budgetMs: context.fuzzBudgetMs });
      durationsMs.fuzz = performance.now() - fuzzStart;
    }
    const sampleOk = shapes[0].ok;
    const fuzzOk = fuzz?.ok ?? true;
    const agree = shapes.every((s) => !s.ok || s.checks.every((c) => c.ok));
    const status: JobStatus = !sampleOk ? 'mismatch' : !fuzzOk ? (fuzz!.status as JobStatus) : agree ? 'pass' : 'runtimes-disagree';
    return {
      ...base,
      status,
      stage: status === 'pass' ? undefined : !sampleOk || fuzzOk ? 'compare' : 'fuzz',
      durationsMs: { ...durationsMs, ...boundary(), total: performance.now() - start },
      artifactBytes,
      artifactPath,
      maxAbsError: Math.max(...shapes.map((s) => s.maxAbsError)),
      maxRelError: Math.max(...shapes.map((s) => s.maxRelError)),
      shapes,
      fuzz,
      artifactCached: artifactCached || undefined,
      error: fuzzOk ? undefined : fuzz!.error,
      finishedAt: new Date().toISOString(),
    };
  } catch (error) {
    if (!(error instanceof StageError)) throw error;
    return {
      ...base,
      status: error.status,
      stage: error.stage,
      durationsMs: { ...durationsMs, ...boundary(), total: performance.now() - start },
      artifactBytes,
      artifactPath,
      shapes,
      error: error.message.split('\n').slice(0, 5).join('\n'),
      finishedAt: new Date().toISOString(),
    };
  } finally {
    if (artifactPath && job.backend === 'onnx') await onnx.release(artifactPath);
    await evictModels(worker, context.modelsPerWorker ?? DEFAULT_MODELS_PER_WORKER);
  }
}
