// Each speed-up of the sweep measured against itself switched off, in the same bench run and on a
// selection where it can show: longest-first against the given order, onnxruntime-node overlapped
// against run after eager, models kept loaded against loaded per job, a re-run with its artifacts or
// whole results cached against the first run, and fuzzing on 1 against 2 workers.
import type { ModelEntry } from '../catalog/default-models.js';
import { BACKENDS, expandJobs, MODES, type Job } from '../sweep/jobs.js';
import { expectedMs, loadTimings, longestFirst } from '../sweep/schedule.js';
import { listScheduleMs, sum } from './stats.js';
import { timedSweep, type BenchSweepOptions } from './timed-sweep.js';

export interface Speedups {
  /** Job span (first start to last end), the long jobs placed last in the given order; and both
   * orders replayed from the longest-first run's job times on idle workers (a busy machine, whose
   * cores never idle, hides what the order does). */
  schedule: { jobs: number; longJobs: string[]; givenMs: number; longestFirstMs: number; replayedGivenMs: number; replayedLongestFirstMs: number };
  /** Time inside the ONNX jobs (artifacts cached) less their model loads, over two runs each way. */
  overlap: { jobs: number; shapes: number; sequentialMs: number; overlappedMs: number };
  /** Time inside the static jobs (artifacts cached), and their loads: how many, how long. */
  modelReuse: { jobs: number; reloadMs: number; reuseMs: number; reloadLoads: number; reuseLoads: number; reloadLoadMs: number; reuseLoadMs: number };
  /** Wall time of the same sweep: first (cold caches), then with its artifacts, then with its results cached. */
  rerun: { jobs: number; firstMs: number; artifactsCachedMs: number; resultsCachedMs: number; resultsReused: number };
  /** Fuzz cases per second of job span, artifacts cached, so the cases are nearly all of the work;
   * ``threads``: torch's per worker (the pool gives each cores / workers, so 2 for --jobs 1 here). */
  fuzzScaling: { workers: number; threads: number; jobs: number; cases: number; spanMs: number; casesPerSecond: number }[];
}

type Results = { durationsMs: { load?: number; total: number } }[];
const loads = (results: Results) => results.filter((r) => r.durationsMs.load !== undefined).length;
const loadMs = (results: Results) => sum(results.map((r) => r.durationsMs.load ?? 0));

/** Runs ``a`` and ``b`` twice each, alternating, so a drift in the machine's load touches both. */
async function alternating<T>(a: () => Promise<T>, b: () => Promise<T>): Promise<[T[], T[]]> {
  const as: T[] = [];
  const bs: T[] = [];
  for (let i = 0; i < 2; i++) {
    as.push(await a());
    bs.push(await b());
  }
  return [as, bs];
}

export async function measureSpeedups(root: string, models: ModelEntry[], workers: number, first: { jobs: Job[]; options: BenchSweepOptions; wallMs: number }): Promise<Speedups> {
  const cached: BenchSweepOptions = { ...first.options, workers, artifactCache: true, resultCache: false };

  // A few ExecuTorch dynamic exports (the longest jobs) after many quick ones: given as is, they
  // start last and one worker idles while they finish.
  const timings = loadTimings();
  const long = [...models].sort((a, b) => expectedMs(expandJobs([b], ['executorch'], ['dynamic'])[0], timings) - expectedMs(expandJobs([a], ['executorch'], ['dynamic'])[0], timings)).slice(0, 2);
  const quick = expandJobs(models, ['dynamo'], MODES);
  const scheduleJobs = [...quick, ...expandJobs(long, ['executorch'], ['dynamic'])];
  const plain = { jobs: scheduleJobs, workers, fuzz: { numRuns: 10, seed: 1 } };
  const given = await timedSweep(root, 'schedule-given', { ...plain, schedule: 'as-given' });
  const scheduled = longestFirst(scheduleJobs, loadTimings()); // the order the next run takes
  const sorted = await timedSweep(root, 'schedule-longest-first', plain);
  const ran = new Map(sorted.results.map((r) => [r.id, r.durationsMs.total]));
  const replay = (order: Job[]) => listScheduleMs(order.map((j) => j.id), ran, workers);

  // Many shapes on a few models: the checks, not the models' first loads, are the work.
  const onnxJobs = expandJobs(models.slice(0, 5), ['onnx'], ['dynamic']);
  const manyShapes = { numRuns: 100, seed: 1 };
  let run = 0;
  const [sequential, overlapped] = await alternating(
    () => timedSweep(root, `overlap-off-${++run}`, { ...cached, jobs: onnxJobs, fuzz: manyShapes, overlapRuntimes: false }),
    () => timedSweep(root, `overlap-on-${run}`, { ...cached, jobs: onnxJobs, fuzz: manyShapes }),
  );

  const staticJobs = expandJobs(models, BACKENDS, ['static']);
  const reload = await timedSweep(root, 'reload', { ...cached, jobs: staticJobs, modelsPerWorker: 0 });
  const reuse = await timedSweep(root, 'reuse', { ...cached, jobs: staticJobs });

  const artifactsCached = await timedSweep(root, 'rerun-artifacts-cached', { ...first.options, resultCache: false });
  const resultsCached = await timedSweep(root, 'rerun-results-cached', first.options);

  // Two models, many shapes: a model's first load in a worker (seconds of imports) stays small.
  const fuzzModels = models.filter((m) => ['tiny-llama', 'tiny-bert'].includes(m.id));
  const fuzzJobs = expandJobs(fuzzModels.length ? fuzzModels : models.slice(0, 2), ['dynamo', 'onnx'], ['dynamic']);
  const fuzzScaling = [];
  // --jobs 1 and 2 as the CLI runs them (torch threads per worker: cores / workers), and one worker
  // on one thread, which tells what the threads do from what the second process does
  for (const [n, threads] of [[1, workers], [1, 1], [2, Math.max(1, Math.floor(workers / 2))]]) {
    const fuzzed = await timedSweep(root, `fuzz-${n}x${threads}`, {
      ...cached, jobs: fuzzJobs, workers: n, fuzz: { numRuns: 400, seed: 2 }, workerEnv: { SWEEP_WORKER_THREADS: String(threads) },
    });
    const cases = sum(fuzzed.results.map((r) => r.fuzz?.cases ?? 0));
    fuzzScaling.push({ workers: n, threads, jobs: fuzzJobs.length, cases, spanMs: fuzzed.spanMs, casesPerSecond: cases / (fuzzed.spanMs / 1000) });
  }

  // time in jobs less the models' loads (a model's first load in a worker is seconds of imports)
  const checkTime = (runs: { results: Results }[]) => sum(runs.map((r) => sum(r.results.map((x) => x.durationsMs.total)) - loadMs(r.results)));
  return {
    schedule: {
      jobs: scheduleJobs.length, longJobs: expandJobs(long, ['executorch'], ['dynamic']).map((j) => j.id), givenMs: given.spanMs, longestFirstMs: sorted.spanMs,
      replayedGivenMs: replay(scheduleJobs), replayedLongestFirstMs: replay(scheduled),
    },
    overlap: { jobs: onnxJobs.length, shapes: manyShapes.numRuns, sequentialMs: checkTime(sequential), overlappedMs: checkTime(overlapped) },
    modelReuse: {
      jobs: staticJobs.length, reloadMs: reload.jobMs, reuseMs: reuse.jobMs,
      reloadLoads: loads(reload.results), reuseLoads: loads(reuse.results), reloadLoadMs: loadMs(reload.results), reuseLoadMs: loadMs(reuse.results),
    },
    rerun: {
      jobs: first.jobs.length, firstMs: first.wallMs, artifactsCachedMs: artifactsCached.wallMs, resultsCachedMs: resultsCached.wallMs,
      resultsReused: resultsCached.results.filter((r) => r.resultCached).length,
    },
    fuzzScaling,
  };
}
