// One job on one warm worker, up the stage ladder (job-result.ts STAGES): load the checkpoint, build
// the inputs and run eager at the traced sample first, so a job that never reached the exporter is
// ``broken`` rather than an export failure; then export, run every runtime of the backend at that
// sample and compare leaf by leaf; a dynamic export that passes is then fuzzed over the shapes its
// inputs allow. A job that passed on fewer modalities than its model takes is ``partial``.
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
import { baseResult, type ErrorInfo, type JobResult, type JobStatus, type RuntimeCheck, type ShapeCheck, type Stage } from './job-result.js';
import { cachedArtifact, exportRequest, storeArtifact } from './artifact-cache.js';
import { Ladder, StageError } from './job-stage.js';
import { leafError, leafErrors } from './leaf-error.js';
import { jobWorkDir, SAMPLE_SHAPE, type Job, type Shape } from './jobs.js';
import { DEFAULT_MODELS_PER_WORKER, evictModels, loadedClass, useModel } from './model-cache.js';

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
  /** The rungs the job reaches, filled as it climbs: the sweep's list, so a job whose worker crashes
   * or times out still says how far it got. */
  stages?: Stage[];
}

/** The sample inputs a job keeps in its folder (the export's inputs, and its repro's). */
export const SAMPLE_INPUTS = 'inputs-sample.safetensors';


/** A checked shape's folder name inside the job's folder (its inputs and outputs). */
export const shapeTag = (s: Shape) => `${s.batch}x${s.seq}${s.padding && s.padding !== 'none' ? `-${s.padding}` : ''}${s.seed ? `-s${s.seed}` : ''}`;

export async function runJob(worker: PythonWorker, job: Job, context: JobContext): Promise<JobResult> {
  const { workDir, onnx, modelDirs, trustRemoteCode } = context;
  const start = performance.now();
  const dir = jobWorkDir(workDir, job.id);
  await mkdir(dir, { recursive: true });
  const durationsMs: JobResult['durationsMs'] = { total: 0, eager: 0, run: 0, crossRun: 0 };
  const base = baseResult(job);
  const runtimes = runtimesFor(job.backend);
  const ladder = new Ladder(context.stages);
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
  let exportStagesMs: Record<string, number> | undefined;
  let artifactPath: string | undefined;
  let fuzz: FuzzSummary | undefined;
  let artifactCached = false;
  let inputsFed: string[] | undefined;
  let inputsNotFed: string[] | undefined;
  const reached = () => ({ stages: [...ladder.reached], inputsFed, inputsNotFed: inputsNotFed?.length ? inputsNotFed : undefined });

  /** Every runtime at one shape against eager's outputs; at a fuzzed shape (no ``eagerDone``) the
   * inputs are built by the recipe and eager runs while the harness-side runtimes do. */
  async function checkShape(handle: string, exported: ExportInfo, shape: Shape, inputs?: string, eagerDone?: string, withLeaves = false): Promise<ShapeCheck> {
    const shapeDir = join(dir, shapeTag(shape));
    if (!inputs) {
      inputs = join(shapeDir, 'inputs.safetensors');
      const { batch, seq, padding, seed } = shape;
      await ladder.step('inputs', () => worker.request('sample_inputs', { model: handle, out: inputs!, batch, seq, padding, seed }));
    }
    const runOn = (runtime: typeof runtimes[number]) => ladder.step('run', () => runtime.run(runtimeContext, exported, inputs!, shapeDir), `run:${runtime.name}`);
    // Started now, awaited in the registry's order below: the same checks, errors and order as one
    // after the other, while the harness-side runs take no extra time.
    const early = runtimes.map((runtime) => (context.overlapRuntimes !== false && runtime.inHarness ? runOn(runtime) : undefined));
    for (const started of early) started?.catch(() => undefined); // a failure surfaces where it is awaited
    let expectedPath = eagerDone;
    if (!expectedPath) {
      const eager = await ladder.step('eager', () => worker.request('eager', { model: handle, inputs: inputs!, out: join(shapeDir, 'eager.safetensors') }))
        .catch(async (error) => { await Promise.allSettled(early); throw error; }); // no run outlives its job's session
      durationsMs.eager! += eager.eager_ms;
      expectedPath = eager.path;
    }
    const expected = await read(expectedPath);
    const mask = shape.padding && shape.padding !== 'none' ? (await read(inputs)).attention_mask : undefined;
    const filter = mask && paddingFilter(mask);
    const checks: RuntimeCheck[] = [];
    let primary: Awaited<ReturnType<typeof runtimes[0]['run']>> | undefined;
    for (const [i, runtime] of runtimes.entries()) {
      const ran = await (early[i] ?? runOn(runtime));
      if (!primary) {
        primary = ran;
        durationsMs.run! += ran.ms;
        checks.push(check(runtime.name, 'eager', compareOutputs(expected, ran.outputs, job.backend, filter, job.model.model_type), withLeaves));
      } else {
        durationsMs.crossRun! += ran.ms;
        checks.push(check(runtime.name, runtimes[0].name, compareOutputs(primary.outputs, ran.outputs, `${job.backend}:runtimes`, undefined, job.model.model_type), withLeaves));
      }
    }
    const [first] = checks;
    return { shape, ok: first.ok, maxAbsError: first.maxAbsError, maxRelError: first.maxRelError, checks };
  }

  try {
    const { handle, loadMs, loaded } = await ladder.step('checkpoint', () => useModel(worker, job.model.id, () =>
      worker.request('load', { model_dir: modelDirs.get(job.model.id)!, handle: job.model.id, trust_remote_code: trustRemoteCode })));
    Object.assign(base, loadedClass(loaded));
    if (loadMs !== undefined) durationsMs.load = loadMs;
    const sample = join(dir, SAMPLE_INPUTS);
    const recipe = await ladder.step('inputs', () => worker.request('sample_inputs', { model: handle, out: sample, ...SAMPLE_SHAPE }));
    inputsFed = recipe.fed;
    inputsNotFed = recipe.not_fed;
    // Eager first: an export of a model that cannot run on its own inputs would say nothing.
    const eager = await ladder.step('eager', () => worker.request('eager', { model: handle, inputs: sample, out: join(dir, shapeTag(SAMPLE_SHAPE), 'eager.safetensors'), sample: true }));
    durationsMs.eager! += eager.eager_ms;
    const request = exportRequest(job, context.exportConfig, context.implementation);
    const key = context.artifactCache ? context.artifactKey : undefined;
    const cached = key ? cachedArtifact(key, context.cacheDir) : undefined;
    const exported = cached ?? await ladder.step('export', () =>
      worker.request('export', { model: handle, inputs: sample, out_dir: join(dir, 'artifact'), ...request }),
    );
    if (cached) ladder.reach('export');
    if (key && !cached) await storeArtifact(key, exported, context.cacheDir);
    artifactCached = Boolean(cached);
    durationsMs.export = cached ? 0 : exported.export_ms;
    artifactBytes = exported.bytes;
    if (!cached) exportStagesMs = exported.export_stages_ms;
    artifactPath = exported.artifact;
    ladder.reach('load'); // the artifact loads into each runtime as it first runs
    const sampleCheck = await checkShape(handle, exported, SAMPLE_SHAPE, sample, eager.path, true);
    shapes.push(sampleCheck);
    ladder.reach('compare');
    const runs = context.fuzz?.numRuns ?? 0;
    const caseInfo = new Map<string, ErrorInfo>();
    if (job.mode === 'dynamic' && shapes[0].ok && (runs > 0 || context.fuzz?.path)) {
      ladder.reach('fuzz');
      const fuzzStart = performance.now();
      fuzz = await fuzzShapes(fuzzSpace(recipe.dynamic, recipe.sequence_offset), SAMPLE_SHAPE, async (shape) => {
        try {
          const checked = await checkShape(handle, exported, shape);
          shapes.push(checked);
          if (checked.ok) await rm(join(dir, shapeTag(shape)), { recursive: true, force: true });
          const failed = checked.checks[0].failures[0];
          const error = failed && leafError(failed);
          return { ok: checked.ok, status: 'mismatch', error, maxAbsError: checked.maxAbsError, maxRelError: checked.maxRelError };
        } catch (error) {
          if (!(error instanceof StageError)) throw error;
          const line = `${error.stage}: ${error.message.split('\n')[0]}`;
          await rm(join(dir, shapeTag(shape)), { recursive: true, force: true });
          // eager failing (or the recipe refusing) at a shape puts it outside the model's domain:
          // no export can be wrong there
          if (error.stage === 'eager' || error.stage === 'inputs') return { ok: true, discarded: line, maxAbsError: 0, maxRelError: 0 };
          caseInfo.set(JSON.stringify(shape), error.info);
          return { ok: false, status: error.status, error: line, maxAbsError: Infinity, maxRelError: Infinity };
        }
      }, { numRuns: runs, seed: context.fuzz!.seed, path: context.fuzz!.path, budgetMs: context.fuzzBudgetMs });
      durationsMs.fuzz = performance.now() - fuzzStart;
    }
    const sampleOk = shapes[0].ok;
    const fuzzOk = fuzz?.ok ?? true;
    const disagreeing = shapes.flatMap((s) => (s.ok ? s.checks.filter((c) => !c.ok) : []));
    let status: JobStatus = !sampleOk ? 'mismatch' : !fuzzOk ? (fuzz!.status as JobStatus) : disagreeing.length ? 'runtimes-disagree' : 'pass';
    if (status === 'pass' && inputsNotFed?.length) status = 'partial';
    const failedStage = !sampleOk || fuzzOk ? 'compare' : 'fuzz';
    const error = !sampleOk ? leafErrors(shapes[0].checks[0].failures)
      : !fuzzOk ? fuzz!.error
        : disagreeing.length ? `${disagreeing[0].runtime}: ${leafErrors(disagreeing[0].failures, disagreeing[0].against)}` : undefined;
    const failedCase = !fuzzOk && fuzz?.counterexample ? caseInfo.get(JSON.stringify(fuzz.counterexample)) : undefined;
    const errorInfo: ErrorInfo | undefined = error === undefined ? undefined : failedCase
      ? { ...failedCase, stage: 'fuzz', message: fuzz!.error! }
      : { stage: failedStage, type: status === 'runtimes-disagree' ? 'RuntimesDisagree' : 'OutputMismatch', message: error };
    return {
      ...base,
      status,
      stage: status === 'pass' || status === 'partial' ? undefined : failedStage,
      ...reached(),
      errorInfo,
      durationsMs: { ...durationsMs, ...boundary(), total: performance.now() - start },
      artifactBytes,
      exportStagesMs,
      artifactPath,
      maxAbsError: Math.max(...shapes.map((s) => s.maxAbsError)),
      maxRelError: Math.max(...shapes.map((s) => s.maxRelError)),
      shapes,
      fuzz,
      artifactCached: artifactCached || undefined,
      error: error?.split('\n').slice(0, 5).join('\n'),
      finishedAt: new Date().toISOString(),
    };
  } catch (error) {
    if (!(error instanceof StageError)) throw error;
    return {
      ...base,
      status: error.status,
      stage: error.stage,
      ...reached(),
      errorInfo: error.info,
      durationsMs: { ...durationsMs, ...boundary(), total: performance.now() - start },
      artifactBytes,
      exportStagesMs,
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
