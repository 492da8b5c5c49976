// The sweep engine: checkpoints first (one per model), then every job on the warm pool. Each job
// ends in exactly one result, appended to the store the moment it ends.
import { join } from 'node:path';
import type { ModelEntry } from '../catalog/default-models.js';
import { ResultStore } from '../results/result-store.js';
import { OnnxRunner } from '../runtimes/onnx-runner.js';
import { WorkerPool, type JobOutcome } from '../worker/pool.js';
import { ensureCheckpoint } from './checkpoints.js';
import type { JobResult } from './job-result.js';
import type { Job } from './jobs.js';
import type { PythonWorker } from '../worker/python-worker.js';
import { runJob } from './run-job.js';

export interface SweepOptions {
  jobs: Job[];
  /** Where each model comes from; default: its tiny checkpoint built from the entry's config. */
  resolveModel?: (worker: PythonWorker, model: ModelEntry) => Promise<string>;
  trustRemoteCode?: boolean;
  runDir: string;
  workers?: number;
  jobTimeoutMs?: number;
  onResult?: (result: JobResult, done: number, total: number) => void;
}

export interface SweepRun {
  runDir: string;
  resultsPath: string;
  results: JobResult[];
  wallMs: number;
}

function failedResult(job: Job, outcome: Exclude<JobOutcome<unknown>, { status: 'ok' }>): JobResult {
  const error = outcome.status === 'error' ? `${outcome.error.name}: ${outcome.error.message}` : outcome.error;
  return {
    id: job.id, model: job.model.id, modelClass: job.model.class, backend: job.backend, mode: job.mode,
    status: outcome.status === 'timeout' ? 'timeout' : 'crashed',
    durationsMs: { total: outcome.ms },
    shapes: [],
    error: error.split('\n').slice(0, 5).join('\n'),
    stderrTail: 'stderrTail' in outcome ? outcome.stderrTail.slice(-4000) : undefined,
    finishedAt: new Date().toISOString(),
  };
}

export async function runSweep(options: SweepOptions): Promise<SweepRun> {
  const start = performance.now();
  const store = new ResultStore(join(options.runDir, 'results.jsonl'));
  const pool = new WorkerPool({ size: options.workers, jobTimeoutMs: options.jobTimeoutMs });
  const onnx = new OnnxRunner();
  const results: JobResult[] = [];
  try {
    const models = [...new Map(options.jobs.map((job) => [job.model.id, job.model])).values()];
    const checkpoints = new Map<string, JobOutcome<string>>();
    const modelDirs = new Map<string, string>();
    await Promise.all(models.map(async (model: ModelEntry) => {
      checkpoints.set(model.id, await pool.run((worker) => (options.resolveModel ?? ensureCheckpoint)(worker, model)));
    }));
    await Promise.all(options.jobs.map(async (job) => {
      const checkpoint = checkpoints.get(job.model.id)!;
      let result: JobResult;
      if (checkpoint.status === 'ok') modelDirs.set(job.model.id, checkpoint.value);
      if (checkpoint.status !== 'ok') {
        result = { ...failedResult(job, checkpoint), status: checkpoint.status === 'error' ? 'export-error' : checkpoint.status, stage: 'checkpoint' };
      } else {
        const context = { workDir: join(options.runDir, 'jobs'), onnx, modelDirs, trustRemoteCode: options.trustRemoteCode };
        const outcome = await pool.run((worker) => runJob(worker, job, context));
        result = outcome.status === 'ok' ? outcome.value : failedResult(job, outcome);
      }
      store.append(result);
      results.push(result);
      options.onResult?.(result, results.length, options.jobs.length);
    }));
  } finally {
    await Promise.all([pool.close(), onnx.close()]);
  }
  return { runDir: options.runDir, resultsPath: store.path, results, wallMs: performance.now() - start };
}
