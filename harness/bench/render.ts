// BENCHMARKS.md from one bench run's data: every figure with its baseline, ratio and target.
import { DEFAULT_RECYCLE_AFTER_JOBS } from '../worker/pool.js';
import type { CatalogSample } from './catalog-sample.js';
import { renderCatalogSample } from './render-catalog.js';
import type { Speedups } from './speedups.js';
import type { SweepFigures } from './sweep-figures.js';

export interface BenchData {
  date: string;
  machine: { cores: number; cpu?: string; memoryGb: number; node: string; loadAverage: { start: number; end: number } };
  versions: Record<string, string | null>;
  figures: SweepFigures;
  warm: { jobs: number; warmMsPerJob: number; freshMsPerJob: number; ratio: number };
  latency: { model: string; nodeMs: number; pythonOrtMs: number; eagerMs: number }[];
  speedups: Speedups;
  exportOptimize: { optimizedMedianMs: number; unoptimizedMedianMs: number };
  upstreamExport: Record<string, { jobs: number; oursMs: number; peerMs: number }>;
  benchMs: number;
  /** The catalog sample (catalog-sample.ts), measured on its own date. */
  catalog?: CatalogSample;
}

const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const s = (ms: number) => `${f(ms / 1000, 2)} s`;
const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
/** A ratio in bold; past 100 the decimals say nothing. */
const times = (n: number) => `**${n >= 100 ? f(n, 0) : f(n)}x**`;

function speedupRows(d: BenchData): string[] {
  const { schedule, overlap, modelReuse: reuse, rerun } = d.speedups;
  return [
    '## What the sweep does about it: each speed-up against itself switched off',
    '',
    'Each pair ran in this bench run on the same jobs. "Job span" runs from the first job\'s start to the last one\'s end (the workers\' start-up left out); "time in jobs" adds up every job\'s own time.',
    '',
    '| speed-up | jobs | with it | without it (baseline) | without / with |',
    '|---|---|---|---|---|',
    `| longest first, a model's jobs together (\`schedule\`) | ${schedule.jobs}: quick dynamo jobs (static and dynamic), then ${schedule.longJobs.join(', ')} last as given | job span ${s(schedule.longestFirstMs)} | in the given order ${s(schedule.givenMs)} | ${times(schedule.givenMs / schedule.longestFirstMs)} |`,
    `| the same, replayed from its jobs' own times on ${d.machine.cores} idle workers (what the order alone does) | ${schedule.jobs} | ${s(schedule.replayedLongestFirstMs)} | ${s(schedule.replayedGivenMs)} | ${times(schedule.replayedGivenMs / schedule.replayedLongestFirstMs)} |`,
    `| onnxruntime-node overlapped with the worker's eager run (\`overlapRuntimes\`) | ${overlap.jobs} dynamic ONNX jobs x ${overlap.shapes} fuzzed shapes, artifacts cached, 2 runs each way | time in jobs less model loads ${s(overlap.overlappedMs)} | one after the other ${s(overlap.sequentialMs)} | ${times(overlap.sequentialMs / overlap.overlappedMs)} |`,
    `| models kept loaded, jobs to the worker holding theirs (\`modelsPerWorker\`, pool affinity) | ${reuse.jobs} static jobs, artifacts cached | time in jobs ${s(reuse.reuseMs)}; ${reuse.reuseLoads} loads, ${s(reuse.reuseLoadMs)} | loaded per job ${s(reuse.reloadMs)}; ${reuse.reloadLoads} loads, ${s(reuse.reloadLoadMs)} | ${times(reuse.reloadMs / reuse.reuseMs)} (load time ${f(reuse.reloadLoadMs / reuse.reuseLoadMs)}x) |`,
    `| re-run, artifacts cached (\`artifactCache\`, results not) | the default sweep, ${rerun.jobs} jobs | wall ${s(rerun.artifactsCachedMs)} | first run, caches cold ${s(rerun.firstMs)} | ${times(rerun.firstMs / rerun.artifactsCachedMs)} |`,
    `| re-run, passing results cached too (\`resultCache\`) | the default sweep, ${rerun.jobs} jobs (${rerun.resultsReused} results reused; skipped jobs take no time) | wall ${s(rerun.resultsCachedMs)} | first run, caches cold ${s(rerun.firstMs)} | ${times(rerun.firstMs / rerun.resultsCachedMs)} |`,
    '',
  ];
}

export function renderBenchmarks(d: BenchData): string {
  const g = d.figures;
  const scaling = d.speedups.fuzzScaling;
  const [one, two] = [scaling[0], scaling.at(-1)];
  const lines = [
    '# Benchmarks',
    '',
    `Measured by \`npm run bench\` (harness/bench/) in one run of ${f(d.benchMs / 60_000, 1)} minutes on ${d.date.slice(0, 10)}: ${d.machine.cores} cores (${d.machine.cpu ?? '?'}), ${d.machine.memoryGb} GB, Node ${d.machine.node} (1-minute load average ${f(d.machine.loadAverage.start, 1)} at the start, ${f(d.machine.loadAverage.end, 1)} at the end); ${Object.entries(d.versions).map(([k, v]) => `${k} ${v}`).join(', ')}. Every figure is a ratio against a baseline measured in the same run; raw numbers are in BENCHMARKS.json. The default sweep runs as \`export-sweep run\` does: skip lists on, one worker per core, 10 fuzzed shapes per dynamic job.`,
    '',
    '| # | figure | measured | baseline | ratio | target |',
    '|---|---|---|---|---|---|',
    `| 1 | harness efficiency: Σ job time / (wall x workers), default sweep, ${g.jobs} jobs on ${g.workers} workers | ${s(g.efficiency * g.wallMs * g.workers)} in jobs | ${s(g.wallMs)} wall x ${g.workers} | **${f(g.efficiency)}** (${f(g.efficiencyExcludingBoundary)} counting the boundary as overhead) | >= 0.90: ${verdict(g.efficiency >= 0.9)} |`,
    `| 2 | warm workers: wall per job, ${d.warm.jobs} jobs in sequence | warm pool ${s(d.warm.warmMsPerJob)} | fresh process per job ${s(d.warm.freshMsPerJob)} | fresh / warm **${f(d.warm.ratio)}x** | - |`,
    `| 3 | boundary cost (tensor files + IPC) for the largest default model, ${g.boundary.model} | ${s(g.boundary.tensorIoMs + g.boundary.ipcMs)} (files ${s(g.boundary.tensorIoMs)}, IPC ${s(g.boundary.ipcMs)}) | its job time ${s(g.boundary.jobMs)} | **${f(100 * g.boundary.shareOfJobTime, 2)}%** | < 2%: ${verdict(g.boundary.shareOfJobTime < 0.02)} |`,
    `| 5 | fuzz throughput, ${one?.jobs ?? 0} dynamic dynamo and ONNX jobs x 400 shapes, artifacts cached (${one?.cases ?? 0} cases; table 5 below) | \`--jobs ${two?.workers}\`: ${f(two?.casesPerSecond ?? NaN)} cases/s | \`--jobs 1\`: ${f(one?.casesPerSecond ?? NaN)} cases/s | **${f((two?.casesPerSecond ?? NaN) / (one?.casesPerSecond ?? NaN))}x** | - |`,
    `| 6 | ONNX export, median over the default set's static jobs | optimize=True ${s(d.exportOptimize.optimizedMedianMs)} | optimize=False ${s(d.exportOptimize.unoptimizedMedianMs)} | **${f(d.exportOptimize.optimizedMedianMs / d.exportOptimize.unoptimizedMedianMs)}x** | - |`,
    '',
    ...speedupRows(d),
    '## 4. Runtime latency of each default model\'s `.onnx` (one thread each, median of 50 runs)',
    '',
    '| model | onnxruntime-node | Python onnxruntime | eager torch | node / Python ORT (target <= 1.2) | node / eager |',
    '|---|---|---|---|---|---|',
    ...d.latency.map((l) => `| ${l.model} | ${f(l.nodeMs, 3)} ms | ${f(l.pythonOrtMs, 3)} ms | ${f(l.eagerMs, 3)} ms | ${f(l.nodeMs / l.pythonOrtMs)} ${l.nodeMs / l.pythonOrtMs <= 1.2 ? '' : '**over**'} | ${f(l.nodeMs / l.eagerMs)} |`),
    '',
    '## 5. Fuzz throughput',
    '',
    'With 1 and 2 workers on the same fuzz-heavy jobs (cases per second of job span); the pool gives each worker cores / workers torch threads, and the middle row pins one worker to one thread, which tells the threads\' part from the second process\'s.',
    '',
    '| workers | torch threads each | cases | job span | cases / s | against --jobs 1 |',
    '|---|---|---|---|---|---|',
    ...scaling.map((r) => `| ${r.workers} | ${r.threads} | ${r.cases} | ${s(r.spanMs)} | ${f(r.casesPerSecond)} | ${f(r.casesPerSecond / one.casesPerSecond)}x |`),
    '',
    'Per backend in the default sweep (eager + artifact + compare per case, over each job\'s fuzzing time):',
    '',
    '| backend | cases / s |',
    '|---|---|',
    ...Object.entries(g.fuzzCasesPerSecond).map(([b, v]) => `| ${b} | ${f(v)} |`),
    '',
    '## 6. Export cost per backend (median per job, default sweep), ours against upstream\'s',
    '',
    'Upstream is the pinned transformers\' own `transformers.exporters` (`--implementation upstream`) run on the default set\'s static jobs; the comparison takes the jobs both exported.',
    '',
    '| backend | median export, every job | jobs both exported | ours on them | upstream on them | ours / upstream |',
    '|---|---|---|---|---|---|',
    ...Object.entries(g.exportMedianMs).map(([b, ms]) => {
      const peer = d.upstreamExport[b];
      return `| ${b} | ${s(ms)} | ${peer?.jobs ?? 0} | ${peer ? s(peer.oursMs) : '-'} | ${peer ? s(peer.peerMs) : '-'} | ${peer ? `**${f(peer.oursMs / peer.peerMs)}**` : '-'} |`;
    }),
    '',
    '## 7. Memory per worker over the default sweep (peak resident set per job)',
    '',
    `Peak over all jobs: ${g.memory.peakRssMb} MB. A worker is replaced after ${DEFAULT_RECYCLE_AFTER_JOBS} jobs by default (\`--recycle-after\`, harness/worker/pool.ts says why).`,
    '',
    '| worker pid | jobs | first job | last job | max | growth | per job |',
    '|---|---|---|---|---|---|---|',
    ...g.memory.perWorker.map((w) => `| ${w.pid} | ${w.jobs} | ${w.firstMb} MB | ${w.lastMb} MB | ${w.maxMb} MB | ${f(w.lastMb / w.firstMb)}x | ${f(w.mbPerJob, 1)} MB |`),
    '',
    ...(d.catalog ? renderCatalogSample(d.catalog) : []),
  ];
  return `${lines.join('\n')}\n`;
}
