// What the sweep reuses to go faster, each against real exports and workers, none of it timed:
// onnxruntime-node run alongside the worker's eager run gives the same comparisons as one after the
// other; a worker keeps a model loaded for its other backends (and loads each job's own with
// modelsPerWorker 0); a re-run of unchanged jobs reuses the passing results with the same statuses,
// and runs the failing ones again.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelEntries, selectModels } from '../harness/catalog/default-models.js';
import type { JobResult } from '../harness/sweep/job-result.js';
import { expandJobs } from '../harness/sweep/jobs.js';
import { runSweep, type SweepOptions } from '../harness/sweep/sweep.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'reuse-'));
});

const byId = (results: JobResult[]) => Object.fromEntries([...results].sort((a, b) => a.id.localeCompare(b.id)).map((r) => [r.id, r]));
/** Every shape's checks as compared: which runtime against which, verdict and errors. */
const comparisons = (r: JobResult) => r.shapes.map((s) => ({ shape: s.shape, checks: s.checks.map(({ runtime, against, ok, maxAbsError, maxRelError, failures }) => ({ runtime, against, ok, maxAbsError, maxRelError, failures })) }));

describe('ONNX checks with onnxruntime-node overlapped', () => {
  it('give the same comparisons as run one after the other, and a worker loads each model once', async () => {
    const jobs = expandJobs(selectModels(loadModelEntries(), ['tiny-bert', 'tiny-gpt2']), ['onnx'], ['static', 'dynamic']);
    // the same artifacts for both runs (the first exports them), and every check run in both
    const options: Omit<SweepOptions, 'runDir'> = { jobs, workers: 2, fuzz: { numRuns: 4, seed: 3 }, artifactCache: true, resultCache: false, cacheDir: join(root, 'cache-onnx') };
    const overlapped = byId((await runSweep({ ...options, runDir: join(root, 'overlap') })).results);
    const sequential = byId((await runSweep({ ...options, runDir: join(root, 'sequential'), overlapRuntimes: false, modelsPerWorker: 0 })).results);
    expect(Object.keys(sequential)).toEqual(Object.keys(overlapped));
    for (const [id, result] of Object.entries(overlapped)) {
      expect(result.status, `${id}: ${result.error ?? ''}`).toBe('pass');
      expect(result.shapes[0].checks.map((c) => c.runtime)).toEqual(['onnxruntime-node', 'onnxruntime-python']);
      expect(comparisons(sequential[id]), id).toEqual(comparisons(result));
    }
    // two models on two workers: at most one load per model and worker, where modelsPerWorker 0 loads every job's
    const loads = (results: Record<string, JobResult>) => Object.values(results).filter((r) => r.durationsMs.load !== undefined).length;
    expect(loads(overlapped)).toBeLessThanOrEqual(4);
    expect(loads(sequential)).toBe(jobs.length);
  });
});

describe('a re-run of unchanged jobs', () => {
  it('reuses the results that passed, with the same statuses, and runs a failure again', async () => {
    const [bert, llama] = ['tiny-bert', 'tiny-llama'].map((id) => selectModels(loadModelEntries(), [id])[0]);
    const jobs = [...expandJobs([bert], ['dynamo'], ['static', 'dynamic']), ...expandJobs([llama], ['dynamo'], ['dynamic'])];
    const options: Omit<SweepOptions, 'runDir'> = {
      jobs, workers: 2, fuzz: { numRuns: 4, seed: 7 }, artifactCache: true, cacheDir: join(root, 'cache-rerun'),
      // a bug only sequence length 1 shows: the fuzzer finds it, so this job fails in both runs
      workerEnv: { SWEEP_WORKER_DEBUG: '1' }, exportConfig: (job) => (job.model.id === 'tiny-llama' ? { debug_plant: 'seq-one' } : undefined),
    };
    const first = byId((await runSweep({ ...options, runDir: join(root, 'first') })).results);
    const second = byId((await runSweep({ ...options, runDir: join(root, 'second') })).results);
    const statuses = (results: Record<string, JobResult>) => Object.fromEntries(Object.entries(results).map(([id, r]) => [id, r.status]));
    expect(statuses(first)).toEqual({ 'tiny-bert/dynamo/dynamic': 'pass', 'tiny-bert/dynamo/static': 'pass', 'tiny-llama/dynamo/dynamic': 'mismatch' });
    expect(statuses(second)).toEqual(statuses(first));
    for (const id of ['tiny-bert/dynamo/dynamic', 'tiny-bert/dynamo/static']) {
      expect(first[id].resultCached).toBeUndefined();
      expect(second[id].resultCached).toBe(true);
      expect(second[id].shapes).toEqual(first[id].shapes);
      expect(second[id].fuzz).toEqual(first[id].fuzz);
    }
    const failed = second['tiny-llama/dynamo/dynamic'];
    expect(failed.resultCached).toBeUndefined();
    expect(failed.artifactCached).toBe(true); // its export is reused, its checks are not
    expect(failed.fuzz?.counterexample).toEqual(first['tiny-llama/dynamo/dynamic'].fuzz?.counterexample);
    // a new fuzzing seed is new shapes: the dynamic job runs again, the static one is still reused
    const reseeded = byId((await runSweep({ ...options, runDir: join(root, 'reseeded'), fuzz: { numRuns: 4, seed: 8 } })).results);
    expect(reseeded['tiny-bert/dynamo/static'].resultCached).toBe(true);
    expect(reseeded['tiny-bert/dynamo/dynamic'].resultCached).toBeUndefined();
  });
});
