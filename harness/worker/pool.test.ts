// The pool against real Python workers: a segfault or a hang costs one job, never the others; jobs
// start by priority, go to the worker holding their model, and workers are recycled by default.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadModelEntries, selectModels, type ModelEntry } from '../catalog/default-models.js';
import { ensureCheckpoint } from '../sweep/checkpoints.js';
import { failedResult } from '../sweep/failed-result.js';
import { reachedExporter } from '../sweep/job-result.js';
import { expandJobs } from '../sweep/jobs.js';
import { useModel } from '../sweep/model-cache.js';
import { PYTHON_LAUNCHER } from '../python/paths.js';
import { DEFAULT_RECYCLE_AFTER_JOBS, WORKER_START_ATTEMPTS, WorkerPool } from './pool.js';
import type { PythonWorker } from './python-worker.js';

const debugWorker = { env: { SWEEP_WORKER_DEBUG: '1' } };
let pool: WorkerPool | undefined;

afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe('WorkerPool', () => {
  it('gives each worker one torch thread by default, and the count asked for', async () => {
    pool = new WorkerPool({ size: 1 });
    const lone = await pool.run(async (w) => (await w.request('hello', {})).threads);
    await pool.close();
    pool = new WorkerPool({ size: 1, threads: 2 });
    const asked = await pool.run(async (w) => (await w.request('hello', {})).threads);
    expect([lone.status === 'ok' && lone.value, asked.status === 'ok' && asked.value]).toEqual([1, 2]);
  });

  it('reports a segfaulting worker as crashed with its stderr tail, and keeps serving', async () => {
    pool = new WorkerPool({ size: 2, worker: debugWorker, jobTimeoutMs: 60_000 });
    await pool.warm();
    const [crashed, healthy] = await Promise.all([
      pool.run((w) => w.request('debug.segfault', {})),
      pool.run((w) => w.request('hello', {})),
    ]);
    expect(crashed.status).toBe('crashed');
    if (crashed.status !== 'crashed') return;
    expect(crashed.error).toMatch(/SIGSEGV/);
    expect(crashed.stderrTail).toMatch(/Fatal Python error: Segmentation fault|Segmentation fault/);
    expect(healthy.status).toBe('ok');
    const after = await pool.run((w) => w.request('hello', {}));
    expect(after.status).toBe('ok');
    if (after.status === 'ok') expect(after.workerPid).not.toBe(crashed.workerPid);
  });

  it('kills a hanging worker at the job timeout and reports timeout', async () => {
    pool = new WorkerPool({ size: 2, worker: debugWorker, jobTimeoutMs: 3_000 });
    await pool.warm();
    const [hung, healthy] = await Promise.all([
      pool.run((w) => w.request('debug.hang', {})),
      pool.run(async (w) => (await w.request('hello', {})).pid),
    ]);
    expect(hung.status).toBe('timeout');
    if (hung.status === 'timeout') {
      expect(hung.error).toMatch(/timed out after 3\.0 s/);
      expect(hung.ms).toBeLessThan(10_000);
    }
    expect(healthy.status).toBe('ok');
    const after = await pool.run((w) => w.request('hello', {}));
    expect(after.status).toBe('ok');
  });

  it('kills a worker that exhausts memory at the limit and reports it crashed, and keeps serving', async () => {
    pool = new WorkerPool({ size: 2, worker: debugWorker, jobTimeoutMs: 120_000, maxMemoryMb: 1500 });
    await pool.warm();
    const [hog, healthy] = await Promise.all([
      pool.run((w) => w.request('debug.allocate', { mb: 8000 })),
      pool.run(async (w) => (await w.request('hello', {})).pid),
    ]);
    expect(hog.status).toBe('crashed');
    if (hog.status === 'crashed') {
      expect(hog.error).toMatch(/exceeded the memory limit: \d+ MB resident > 1500 MB/);
      expect(hog.peakRssMb).toBeGreaterThan(1500);
    }
    expect(healthy.status).toBe('ok');
    expect((await pool.run((w) => w.request('hello', {}))).status).toBe('ok');
  });

  it('never loses a finished result when another job crashes', async () => {
    pool = new WorkerPool({ size: 2, worker: debugWorker, jobTimeoutMs: 60_000 });
    const outcomes = await Promise.all([
      pool.run(async (w) => { await w.request('hello', {}); return 'first'; }),
      pool.run((w) => w.request('debug.segfault', {})),
      pool.run(async (w) => { await w.request('hello', {}); return 'third'; }),
      pool.run((w) => w.request('debug.segfault', {})),
      pool.run(async (w) => { await w.request('hello', {}); return 'fifth'; }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['ok', 'crashed', 'ok', 'crashed', 'ok']);
    expect(outcomes.filter((o) => o.status === 'ok').map((o) => (o.status === 'ok' ? o.value : ''))).toEqual(['first', 'third', 'fifth']);
  });

  it('returns a worker-side error as an error outcome and reuses the worker', async () => {
    pool = new WorkerPool({ size: 1 });
    const failed = await pool.run((w) => w.request('unload', {} as never));
    expect(failed.status).toBe('error');
    const next = await pool.run((w) => w.request('hello', {}));
    expect(next.status).toBe('ok');
    expect(next.workerPid).toBe(failed.workerPid);
  });

  it('does not offer debug ops to a normal worker', async () => {
    pool = new WorkerPool({ size: 1 });
    const outcome = await pool.run((w) => w.request('debug.segfault', {}));
    expect(outcome.status).toBe('error');
    if (outcome.status === 'error') expect(outcome.error.message).toMatch(/unknown op 'debug.segfault'/);
  });
});

/** A real worker that dies at start-up for its first ``failures`` launches (counted in a file), as a
 * worker whose imports time out on a loaded machine does. */
function flakyStart(failures: number): { worker: { command: string; args: string[] }; launches: () => number } {
  const counter = join(mkdtempSync(join(tmpdir(), 'flaky-start-')), 'launches');
  const script = `n=$(cat "$0" 2>/dev/null || echo 0); echo $((n+1)) > "$0"
if [ "$n" -lt ${failures} ]; then echo "start-up failed on launch $((n+1))" >&2; exit 3; fi
exec "$1" -m sweep_worker`;
  return {
    worker: { command: 'bash', args: ['-c', script, counter, PYTHON_LAUNCHER] },
    launches: () => Number(readFileSync(counter, 'utf8')),
  };
}

describe('WorkerPool start-up failures', () => {
  it('moves a job whose worker fails to start to a fresh worker, and runs it there', async () => {
    const flaky = flakyStart(WORKER_START_ATTEMPTS - 1);
    pool = new WorkerPool({ size: 1, worker: flaky.worker });
    const outcome = await pool.run(async (w) => (await w.request('hello', {})).pid);
    expect(outcome.status).toBe('ok');
    expect(flaky.launches()).toBe(WORKER_START_ATTEMPTS);
    if (outcome.status === 'ok') expect(outcome.value).toBe(outcome.workerPid);
  });

  it(`gives a job up as unstarted (broken, never crashed) when ${WORKER_START_ATTEMPTS} workers in a row fail to start`, async () => {
    const flaky = flakyStart(WORKER_START_ATTEMPTS);
    pool = new WorkerPool({ size: 1, worker: flaky.worker });
    let ran = false;
    const outcome = await pool.run(async () => { ran = true; });
    expect(outcome.status).toBe('unstarted');
    expect(ran).toBe(false);
    if (outcome.status === 'unstarted') {
      expect(outcome.error).toMatch(new RegExp(`no worker started for this job in ${WORKER_START_ATTEMPTS} attempts; the last: worker exited \\(code 3\\)`));
      expect(outcome.stderrTail).toMatch(new RegExp(`start-up failed on launch ${WORKER_START_ATTEMPTS}`));
      // the sweep's verdict: the harness's machine failed, not the model's export
      const [job] = expandJobs(selectModels(loadModelEntries(), ['tiny-bert']), ['onnx'], ['static']);
      const result = failedResult(job, outcome);
      expect([result.status, result.errorInfo?.stage, reachedExporter(result)]).toEqual(['broken', 'worker start-up', false]);
    }
    // the next job gets a fresh worker of its own, which starts
    expect((await pool.run(async (w) => (await w.request('hello', {})).pid)).status).toBe('ok');
    expect(flaky.launches()).toBe(WORKER_START_ATTEMPTS + 1);
  });
});

describe('WorkerPool scheduling', () => {
  it('starts waiting jobs lowest priority first, equal ones in the order asked', async () => {
    pool = new WorkerPool({ size: 1 });
    const started: string[] = [];
    const job = (name: string) => async (w: PythonWorker) => { started.push(name); await w.request('hello', {}); };
    const busy = pool.run(job('running'));
    await Promise.all([pool.run(job('c'), { priority: 3 }), pool.run(job('a'), { priority: 1 }), pool.run(job('b1'), { priority: 2 }), pool.run(job('b2'), { priority: 2 }), busy]);
    expect(started).toEqual(['running', 'a', 'b1', 'b2', 'c']);
  });

  it('hands a job to the idle worker that has its model loaded', async () => {
    pool = new WorkerPool({ size: 2 });
    const [bert, gpt2] = selectModels(loadModelEntries(), ['tiny-bert', 'tiny-gpt2']);
    const load = (model: ModelEntry) => async (w: PythonWorker) => {
      const dir = await ensureCheckpoint(w, model);
      await useModel(w, model.id, () => w.request('load', { model_dir: dir, handle: model.id }));
      return w.pid;
    };
    // one model on each worker, loaded at once so each job gets its own worker
    const [bertOn, gpt2On] = await Promise.all([pool.run(load(bert)), pool.run(load(gpt2))]);
    expect(bertOn.workerPid).not.toBe(gpt2On.workerPid);
    // alternating: the worker that just finished is not the one a job without affinity would get
    const pids = [];
    for (const model of [bert, gpt2, bert, gpt2]) {
      const outcome = await pool.run(async (w) => (await w.request('hello', {})).pid, { affinity: model.id });
      pids.push(outcome.workerPid);
    }
    expect(pids).toEqual([bertOn.workerPid, gpt2On.workerPid, bertOn.workerPid, gpt2On.workerPid]);
  });
});

describe('WorkerPool recycling', () => {
  const pidsOver = async (jobs: number) => {
    const pids: (number | undefined)[] = [];
    for (let i = 0; i < jobs; i++) pids.push((await pool!.run((w) => w.request('hello', {}))).workerPid);
    return pids;
  };

  it(`replaces a worker after ${DEFAULT_RECYCLE_AFTER_JOBS} jobs by default`, async () => {
    pool = new WorkerPool({ size: 1 });
    const pids = await pidsOver(DEFAULT_RECYCLE_AFTER_JOBS + 1);
    expect(new Set(pids.slice(0, DEFAULT_RECYCLE_AFTER_JOBS)).size).toBe(1);
    expect(pids.at(-1)).not.toBe(pids[0]);
  });

  it('keeps its workers for good with recycleAfterJobs 0', async () => {
    pool = new WorkerPool({ size: 1, recycleAfterJobs: 0 });
    expect(new Set(await pidsOver(DEFAULT_RECYCLE_AFTER_JOBS + 1)).size).toBe(1);
  });
});
