// One job on one warm worker: load the checkpoint, export, then for each check shape run eager and
// every runtime of the backend on the same inputs and compare them leaf by leaf.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { compareOutputs } from '../compare/compare.js';
import { runtimesFor, type RuntimeContext } from '../runtimes/backend-runtimes.js';
import { OnnxRunError, type OnnxRunner } from '../runtimes/onnx-runner.js';
import { readSafetensors } from '../tensors/safetensors.js';
import { WorkerRequestError } from '../worker/errors.js';
import type { PythonWorker } from '../worker/python-worker.js';
import type { JobResult, JobStatus, RuntimeCheck, ShapeCheck } from './job-result.js';
import { DYNAMIC_CHECK_SHAPES, SAMPLE_SHAPE, type Job } from './jobs.js';

class StageError extends Error {
  constructor(readonly stage: string, readonly status: JobStatus, cause: Error) {
    super(cause.message);
  }
}

/** Failures the job reports as its result; crashes and timeouts propagate to the pool. */
async function stage<T>(name: string, status: JobStatus, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof WorkerRequestError || error instanceof OnnxRunError) throw new StageError(name, status, error);
    throw error;
  }
}

function check(runtime: string, against: string, comparison: ReturnType<typeof compareOutputs>): RuntimeCheck {
  return {
    runtime, against, ok: comparison.ok, maxAbsError: comparison.maxAbsError, maxRelError: comparison.maxRelError,
    failures: comparison.leaves.filter((leaf) => !leaf.ok),
  };
}

export interface JobContext {
  workDir: string;
  onnx: OnnxRunner;
  /** The checkpoint folder of each model id, resolved from its source before the jobs start. */
  modelDirs: Map<string, string>;
  trustRemoteCode?: boolean;
}

export async function runJob(worker: PythonWorker, job: Job, { workDir, onnx, modelDirs, trustRemoteCode }: JobContext): Promise<JobResult> {
  const start = performance.now();
  const dir = join(workDir, job.id.replaceAll('/', '__'));
  await mkdir(dir, { recursive: true });
  const durationsMs: JobResult['durationsMs'] = { total: 0, eager: 0, run: 0, crossRun: 0 };
  const base = { id: job.id, model: job.model.id, modelClass: job.model.class, backend: job.backend, mode: job.mode };
  const runtimes = runtimesFor(job.backend);
  const context: RuntimeContext = { worker, onnx, backend: job.backend };
  const shapes: ShapeCheck[] = [];
  let artifactBytes: number | undefined;
  let artifactPath: string | undefined;
  try {
    let handle = worker.loadedModels.get(job.model.id);
    if (!handle) {
      const loaded = await stage('load', 'export-error', () => worker.request('load', { model_dir: modelDirs.get(job.model.id)!, handle: job.model.id, trust_remote_code: trustRemoteCode }));
      durationsMs.load = loaded.load_ms;
      handle = loaded.handle;
      worker.loadedModels.set(job.model.id, handle);
    }
    const sample = join(dir, 'inputs-sample.safetensors');
    await stage('inputs', 'export-error', () => worker.request('sample_inputs', { model: handle, out: sample, ...SAMPLE_SHAPE }));
    const exported = await stage('export', 'export-error', () =>
      worker.request('export', { model: handle, backend: job.backend, inputs: sample, out_dir: join(dir, 'artifact'), config: { dynamic: job.mode === 'dynamic' } }),
    );
    durationsMs.export = exported.export_ms;
    artifactBytes = exported.bytes;
    artifactPath = exported.artifact;
    const checkShapes = job.mode === 'dynamic' ? [SAMPLE_SHAPE, ...DYNAMIC_CHECK_SHAPES] : [SAMPLE_SHAPE];
    for (const [index, shape] of checkShapes.entries()) {
      const tag = `${shape.batch}x${shape.seq}`;
      const shapeDir = join(dir, tag);
      const inputs = index === 0 ? sample : join(dir, `inputs-${tag}.safetensors`);
      if (index > 0) await stage('inputs', 'runtime-error', () => worker.request('sample_inputs', { model: handle, out: inputs, ...shape, seed: index }));
      const eager = await stage('eager', 'runtime-error', () => worker.request('eager', { model: handle, inputs, out: join(shapeDir, 'eager.safetensors') }));
      durationsMs.eager! += eager.eager_ms;
      const expected = await readSafetensors(eager.path);
      const checks: RuntimeCheck[] = [];
      let primary: Awaited<ReturnType<typeof runtimes[0]['run']>> | undefined;
      for (const runtime of runtimes) {
        const ran = await stage(`run:${runtime.name}`, 'runtime-error', () => runtime.run(context, exported, inputs, shapeDir));
        if (!primary) {
          primary = ran;
          durationsMs.run! += ran.ms;
          checks.push(check(runtime.name, 'eager', compareOutputs(expected, ran.outputs, job.backend)));
        } else {
          durationsMs.crossRun! += ran.ms;
          checks.push(check(runtime.name, runtimes[0].name, compareOutputs(primary.outputs, ran.outputs, `${job.backend}:runtimes`)));
        }
      }
      const [first] = checks;
      shapes.push({ shape, ok: first.ok, maxAbsError: first.maxAbsError, maxRelError: first.maxRelError, checks });
    }
    const status: JobStatus = !shapes.every((s) => s.ok) ? 'mismatch' : shapes.every((s) => s.checks.every((c) => c.ok)) ? 'pass' : 'runtimes-disagree';
    return {
      ...base,
      status,
      stage: status === 'pass' ? undefined : 'compare',
      durationsMs: { ...durationsMs, total: performance.now() - start },
      artifactBytes,
      maxAbsError: Math.max(...shapes.map((s) => s.maxAbsError)),
      maxRelError: Math.max(...shapes.map((s) => s.maxRelError)),
      shapes,
      finishedAt: new Date().toISOString(),
    };
  } catch (error) {
    if (!(error instanceof StageError)) throw error;
    return {
      ...base,
      status: error.status,
      stage: error.stage,
      durationsMs: { ...durationsMs, total: performance.now() - start },
      artifactBytes,
      shapes,
      error: error.message.split('\n').slice(0, 5).join('\n'),
      finishedAt: new Date().toISOString(),
    };
  } finally {
    if (artifactPath && job.backend === 'onnx') await onnx.release(artifactPath);
  }
}
