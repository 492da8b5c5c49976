// A green cell never comes from a stale cache: real sweeps of a tiny BERT (dynamo, static, one
// worker, a fresh cache), run again after its local: folder's weights or config.json changed, or
// after its hub branch moved to a new commit, run again in full; unchanged, they are reused and say
// which run made them. A hub that never answers ends the job with an error naming the hub, and the
// CLI exits as soon as it has printed its summary.
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadModelEntries, selectModels, type ModelEntry } from '../harness/catalog/default-models.js';
import { startLocalHub, type LocalHub } from '../harness/hub/local-hub.js';
import { REPO_ROOT } from '../harness/python/paths.js';
import { resolveModelFrom, tinyCheckpoint } from '../harness/sweep/checkpoints.js';
import type { JobResult } from '../harness/sweep/job-result.js';
import { expandJobs } from '../harness/sweep/jobs.js';
import { runSweep, type SweepOptions } from '../harness/sweep/sweep.js';
import { readSafetensors, writeSafetensors } from '../harness/tensors/safetensors.js';
import { PythonWorker } from '../harness/worker/python-worker.js';

// Each sweep starts a worker that imports torch: minutes apiece on a runner shared with other suites.
const TIMEOUT = 1_200_000;
const bert = selectModels(loadModelEntries(), ['tiny-bert'])[0];
let root: string;
let checkpoint: string; // tiny-bert's checkpoint, copied into each test's own folder

beforeAll(async () => {
  vi.spyOn(console, 'debug').mockImplementation(() => undefined); // @huggingface/hub logs every file it downloads
  root = await mkdtemp(join(tmpdir(), 'cache-freshness-'));
  let worker: PythonWorker | undefined; // started only when the checkpoint is not built yet
  try {
    checkpoint = await tinyCheckpoint(bert, (work) => work(worker = new PythonWorker()));
  } finally {
    await worker?.close();
  }
}, 600_000);
afterAll(() => vi.restoreAllMocks());

/** One job, tiny-bert's checkpoint from ``source``, into run folder ``name``; the result and the run folder. */
async function sweep(entry: ModelEntry, name: string, options: Partial<SweepOptions>): Promise<{ result: JobResult; runDir: string }> {
  const runDir = join(root, name);
  const run = await runSweep({
    jobs: expandJobs([entry], ['dynamo'], ['static']), runDir, workers: 1, fuzz: { numRuns: 0, seed: 0 }, artifactCache: true, ...options,
  });
  expect(run.results).toHaveLength(1);
  return { result: run.results[0], runDir };
}

/** Multiplies one weight tensor by ``factor``: same names, shapes and size, other values. */
async function scaleWeight(dir: string, factor: number): Promise<void> {
  const file = join(dir, 'model.safetensors');
  const tensors = await readSafetensors(file);
  const name = Object.keys(tensors).find((key) => key.endsWith('word_embeddings.weight'))!;
  const data = tensors[name].data as Float32Array;
  for (let i = 0; i < data.length; i++) data[i] *= factor;
  await writeSafetensors(file, tensors);
}

describe('a local: folder', () => {
  it('that changed since its passing run is run again, and reused only while unchanged', async () => {
    const folder = join(root, 'local-bert');
    await cp(checkpoint, folder, { recursive: true });
    const entry: ModelEntry = { ...bert, id: 'local-bert', source: `local:${folder}` };
    const options: Partial<SweepOptions> = { cacheDir: join(root, 'local-cache'), resolveModel: resolveModelFrom({ catalog: [], overrides: {} }) };

    const first = await sweep(entry, 'local-first', options);
    expect(first.result.status, first.result.error).toBe('pass');
    expect(first.result.resultCached).toBeUndefined();
    expect(first.result.modelContent).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(first.result.artifactPath).toContain(join(first.runDir, 'jobs')); // exported into the run folder

    const unchanged = await sweep(entry, 'local-unchanged', options);
    expect(unchanged.result.resultCached).toBe(true);
    expect(unchanged.result.reusedFrom).toEqual({ runDir: resolve(first.runDir), finishedAt: first.result.finishedAt });
    expect(unchanged.result.modelContent).toBe(first.result.modelContent);
    expect(unchanged.result.artifactPath).toBe(first.result.artifactPath);

    // new weights: a new export and new checks, with what a run without any cache reports
    await scaleWeight(folder, 3);
    const weights = await sweep(entry, 'local-weights', options);
    expect(weights.result.status, weights.result.error).toBe('pass');
    expect(weights.result.resultCached).toBeUndefined();
    expect(weights.result.artifactCached).toBeUndefined();
    expect(weights.result.modelContent).not.toBe(first.result.modelContent);
    expect(weights.result.artifactPath).toContain(join(weights.runDir, 'jobs'));

    // a config.json that no longer fits the weights: the failure shows, not the earlier pass
    const config = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8'));
    await writeFile(join(folder, 'config.json'), JSON.stringify({ ...config, hidden_size: 48, intermediate_size: 96 }));
    const configured = await sweep(entry, 'local-config', options);
    expect(configured.result.resultCached).toBeUndefined();
    expect(configured.result.status).not.toBe('pass');
    expect(configured.result.modelContent).not.toBe(weights.result.modelContent);
    expect(configured.result.error).toMatch(/size|shape/i);
  }, TIMEOUT);
});

describe('a hub: branch', () => {
  let hubRoot: string;
  let hub: LocalHub;
  let hubOpen = false;
  beforeAll(async () => {
    hubRoot = await mkdtemp(join(tmpdir(), 'cache-freshness-hub-'));
    await cp(checkpoint, join(hubRoot, 'org', 'bert'), { recursive: true });
    hub = await startLocalHub(hubRoot);
    hubOpen = true;
  });
  afterAll(async () => {
    if (hubOpen) await hub.close();
  });

  it('is resolved to its commit before a cached result is used: a moved branch runs again, an offline hub is an error', async () => {
    const entry: ModelEntry = { ...bert, id: 'hub-bert', source: 'hub:org/bert' };
    const resolveModel = (hubUrl: string) => resolveModelFrom({ catalog: [], overrides: {}, hubUrl, cacheDir: join(root, 'hub-downloads') });
    const options: Partial<SweepOptions> = { cacheDir: join(root, 'hub-cache'), resolveModel: resolveModel(hub.url) };

    const first = await sweep(entry, 'hub-first', options);
    expect(first.result.status, first.result.error).toBe('pass');
    expect(first.result.modelContent).toMatch(/^hub:org\/bert@[0-9a-f]{40}$/);

    const before = hub.requests;
    const same = await sweep(entry, 'hub-same', options);
    expect(same.result.resultCached).toBe(true);
    expect(same.result.reusedFrom?.runDir).toBe(resolve(first.runDir));
    expect(hub.requests - before).toBe(1); // the branch's commit, nothing else

    await scaleWeight(join(hubRoot, 'org', 'bert'), 0.5); // a second commit on main, other weights
    const moved = await sweep(entry, 'hub-moved', options);
    expect(moved.result.status, moved.result.error).toBe('pass');
    expect(moved.result.resultCached).toBeUndefined();
    expect(moved.result.artifactCached).toBeUndefined();
    expect(moved.result.modelContent).toMatch(/^hub:org\/bert@[0-9a-f]{40}$/);
    expect(moved.result.modelContent).not.toBe(first.result.modelContent);

    // the hub is gone: the cached snapshot and result of 'main' may be stale, so nothing is reused
    const url = hub.url;
    await hub.close();
    hubOpen = false;
    const offline = await sweep(entry, 'hub-offline', { ...options, resolveModel: resolveModel(url) });
    expect(offline.result.resultCached).toBeUndefined();
    expect(offline.result.status).not.toBe('pass');
    expect(offline.result.error).toContain(`could not ask the hub at ${url} which commit 'main' is now`);
  }, TIMEOUT);
});

describe('a hub that never answers', () => {
  it('ends the job with an error naming the hub within its timeout, and the CLI exits right after its summary', async () => {
    const server = createServer(() => undefined); // accepts every request and never answers
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const runDir = join(root, 'cli-silent-hub');
    const start = performance.now();
    let summaryAt: number | undefined;
    let output = '';
    try {
      const code = await new Promise<number | null>((done, fail) => {
        const child = spawn(join(REPO_ROOT, 'bin', 'export-sweep'), [
          'run', '--models', 'hub:org/silent', '--hub-url', hubUrl, '--backends', 'dynamo', '--modes', 'static', '--jobs', '1', '--shapes', '0', '--out', runDir,
        ], { env: { ...process.env, EXPORT_SWEEP_HUB_TIMEOUT: '5' }, stdio: ['ignore', 'pipe', 'pipe'] });
        const take = (chunk: Buffer) => {
          output += chunk.toString();
          if (summaryAt === undefined && /\ndashboard: /.test(output)) summaryAt = performance.now();
        };
        child.stdout.on('data', take);
        child.stderr.on('data', take);
        child.on('error', fail);
        child.on('exit', (exitCode) => done(exitCode));
      });
      const exitedAt = performance.now();
      console.log(`silent hub: summary ${((summaryAt! - start) / 1000).toFixed(1)} s after the start, exit ${((exitedAt - summaryAt!) / 1000).toFixed(2)} s after the summary`);
      expect(code, output).toBe(1);
      expect(summaryAt, output).toBeDefined();
      expect(output).toContain(`the hub at ${hubUrl} sent no answer to GET ${hubUrl}/api/models/org/silent/revision/main within 5 s`);
      expect(output).not.toMatch(/WorkerTimeoutError|timed out after/);
      // the job ended at the hub's deadline, far inside the default 600 s job timeout
      expect(summaryAt! - start, output).toBeLessThan(120_000);
      // nothing (a pending request, a timer, a server) keeps the process alive after its summary
      expect(exitedAt - summaryAt!, output).toBeLessThan(5_000);
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  }, TIMEOUT);
});
