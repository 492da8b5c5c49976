// `npm run bench`: the harness measured against baselines taken in the same run (so each figure is
// a ratio that survives a slower or busier machine), written to BENCHMARKS.md and BENCHMARKS.json.
import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { loadCatalog } from '../catalog/catalog.js';
import { loadModelEntries, selectModels, type ModelEntry } from '../catalog/default-models.js';
import { REPO_ROOT } from '../python/paths.js';
import { OnnxRunner } from '../runtimes/onnx-runner.js';
import { loadSkipLists } from '../skips/skip-list.js';
import { ensureCheckpoint } from '../sweep/checkpoints.js';
import { BACKENDS, expandJobs, MODES, type Job } from '../sweep/jobs.js';
import { jobWorkDir } from '../sweep/jobs.js';
import { readSafetensors } from '../tensors/safetensors.js';
import { PythonWorker } from '../worker/python-worker.js';
import { renderBenchmarks } from './render.js';
import { measureSpeedups } from './speedups.js';
import { median, ratio } from './stats.js';
import { exportAgainstPeer, sweepFigures } from './sweep-figures.js';
import { timedSweep, type BenchSweepOptions } from './timed-sweep.js';

const benchStart = performance.now();
// what else ran on the machine: the figures are ratios within this run, but a busy machine bends them
const loadAtStart = loadavg()[0];
const cores = availableParallelism();
const root = await mkdtemp(join(tmpdir(), 'bench-'));
// BENCH_MODELS=a,b narrows the set for a quick check of the bench itself; figures come from the whole set.
const models = selectModels(loadModelEntries(), process.env.BENCH_MODELS?.split(','));
const log = (line: string) => console.log(`bench: ${line}`);
const skipLists = loadSkipLists(undefined, await loadCatalog());

// 1. The default sweep as `export-sweep run` runs it (skip lists on, one worker per core), its
// caches cold (a folder of this run's own): efficiency, boundary, fuzz, export cost, memory.
log(`default sweep: ${models.length} models x ${BACKENDS.length} backends x 2 modes on ${cores} workers`);
const defaultJobs = expandJobs(models, BACKENDS, MODES);
const defaultOptions: BenchSweepOptions = {
  jobs: defaultJobs, workers: cores, skipLists, fuzz: { numRuns: 10, seed: 1 }, artifactCache: true, cacheDir: join(root, 'cache'),
};
const full = await timedSweep(root, 'default', defaultOptions);
const largest = full.results.filter((r) => r.backend === 'onnx' && r.artifactBytes).sort((a, b) => b.artifactBytes! - a.artifactBytes!)[0]?.model ?? models[0].id;
const figures = sweepFigures(full.results, full.wallMs, cores, largest);

// 2. Warm pool against a fresh Python process per job (which pays the torch/transformers imports).
const warmJobs: Job[] = expandJobs(models.slice(0, 4), ['dynamo'], ['static']);
const warm = await timedSweep(root, 'warm', { jobs: warmJobs, workers: 1, fuzz: { numRuns: 0, seed: 1 } });
const fresh = await timedSweep(root, 'fresh', { jobs: warmJobs, workers: 1, recycleAfterJobs: 1, fuzz: { numRuns: 0, seed: 1 } });

// 3. Runtime latency of each default model's .onnx: onnxruntime-node vs Python onnxruntime vs eager,
// one thread each, same file and inputs.
const latency: { model: string; nodeMs: number; pythonOrtMs: number; eagerMs: number }[] = [];
{
  const runner = new OnnxRunner({ intraOpNumThreads: 1 });
  const worker = new PythonWorker({ env: { SWEEP_WORKER_THREADS: '1' } });
  try {
    for (const model of models) {
      const result = full.results.find((r) => r.id === `${model.id}/onnx/static` && r.status === 'pass');
      if (!result) continue;
      const dir = jobWorkDir(join(root, 'default', 'jobs'), result.id);
      const artifact = join(dir, 'artifact', 'model.onnx');
      const inputs = join(dir, 'inputs-sample.safetensors');
      const feeds = await readSafetensors(inputs);
      const bench = new Bench({ iterations: 50, warmupIterations: 5 });
      bench.add(model.id, async () => { await runner.run(artifact, feeds); });
      await bench.run();
      const task = bench.tasks[0].result;
      const nodeMs = task.state === 'completed' ? task.latency.p50 : NaN;
      const handle = (await worker.request('load', { model_dir: await ensureCheckpoint(worker, model as ModelEntry) })).handle;
      const py = await worker.request('time_runs', { model: handle, inputs, backend: 'onnx', artifact, iterations: 50 });
      await worker.request('unload', { handle });
      latency.push({ model: model.id, nodeMs, pythonOrtMs: py.artifact_ms!, eagerMs: py.eager_ms });
    }
  } finally {
    await Promise.all([runner.close(), worker.close()]);
  }
}

// 4. The sweep's speed-ups, each against itself switched off (speedups.ts).
const speedups = await measureSpeedups(root, models, cores, { jobs: defaultJobs, options: defaultOptions, wallMs: full.wallMs });

// 5. ONNX export with optimize=False on the same static jobs as the default sweep's.
const noOptimize = await timedSweep(root, 'onnx-no-optimize', {
  jobs: expandJobs(models, ['onnx'], ['static']), workers: cores, skipLists, fuzz: { numRuns: 0, seed: 1 }, exportConfig: () => ({ optimize: false }),
});

// 6. Upstream's exporters (transformers.exporters) on the default set's static jobs, to set our
// export time against theirs on the same jobs (the dynamic ones would double the bench's time).
const upstream = await timedSweep(root, 'upstream', { jobs: expandJobs(models, BACKENDS, ['static']), workers: cores, skipLists, fuzz: { numRuns: 0, seed: 1 }, implementation: 'upstream' });

const data = {
  date: new Date().toISOString(),
  machine: { cores, cpu: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, loadAverage: { start: loadAtStart, end: loadavg()[0] } },
  versions: (await (async () => { const w = new PythonWorker(); try { return (await w.ready).versions; } finally { await w.close(); } })()),
  figures,
  warm: { jobs: warmJobs.length, warmMsPerJob: warm.wallMs / warmJobs.length, freshMsPerJob: fresh.wallMs / warmJobs.length, ratio: ratio(fresh.wallMs, warm.wallMs) },
  latency,
  speedups,
  exportOptimize: {
    optimizedMedianMs: median(full.results.filter((r) => r.backend === 'onnx' && r.mode === 'static' && r.durationsMs.export).map((r) => r.durationsMs.export!)),
    unoptimizedMedianMs: median(noOptimize.results.filter((r) => r.durationsMs.export).map((r) => r.durationsMs.export!)),
  },
  upstreamExport: exportAgainstPeer(full.results, upstream.results),
  benchMs: performance.now() - benchStart,
};
writeFileSync(join(REPO_ROOT, 'BENCHMARKS.json'), `${JSON.stringify(data, null, 1)}\n`);
writeFileSync(join(REPO_ROOT, 'BENCHMARKS.md'), renderBenchmarks(data));
log(`wrote BENCHMARKS.md and BENCHMARKS.json in ${(data.benchMs / 60_000).toFixed(1)} min (runs in ${root})`);
