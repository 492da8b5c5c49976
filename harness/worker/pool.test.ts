// The pool against real Python workers: a segfault or a hang costs one job, never the others.
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPool } from './pool.js';

const debugWorker = { env: { HF_EXPORTERS_WORKER_DEBUG: '1' } };
let pool: WorkerPool | undefined;

afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe('WorkerPool', () => {
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
