// BENCHMARKS.md from one bench run's data: every figure with its baseline, ratio and target.
import type { SweepFigures } from './sweep-figures.js';

export interface BenchData {
  date: string;
  machine: { cores: number; cpu?: string; memoryGb: number; node: string };
  versions: Record<string, string | null>;
  figures: SweepFigures;
  warm: { jobs: number; warmMsPerJob: number; freshMsPerJob: number; ratio: number };
  latency: { model: string; nodeMs: number; pythonOrtMs: number; eagerMs: number }[];
  fuzzScaling: { workers: number; cases: number; wallMs: number; casesPerSecond: number }[];
  exportOptimize: { optimizedMedianMs: number; unoptimizedMedianMs: number };
  upstreamExport?: Record<string, { oursMs: number; upstreamMs: number }>;
}

const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const s = (ms: number) => `${f(ms / 1000, 2)} s`;
const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');

export function renderBenchmarks(d: BenchData): string {
  const g = d.figures;
  const [one, two] = d.fuzzScaling;
  const lines = [
    '# Benchmarks',
    '',
    `Measured by \`npm run bench\` (harness/bench/) in one run on ${d.date.slice(0, 10)}: ${d.machine.cores} cores (${d.machine.cpu ?? '?'}), ${d.machine.memoryGb} GB, Node ${d.machine.node}; ${Object.entries(d.versions).map(([k, v]) => `${k} ${v}`).join(', ')}. Every figure is a ratio against a baseline measured in the same run; raw numbers are in BENCHMARKS.json.`,
    '',
    '| # | figure | measured | baseline | ratio | target |',
    '|---|---|---|---|---|---|',
    `| 1 | harness efficiency: Σ job time / (wall x workers), default sweep, ${g.jobs} jobs on ${g.workers} workers | ${s(g.efficiency * g.wallMs * g.workers)} in jobs | ${s(g.wallMs)} wall x ${g.workers} | **${f(g.efficiency)}** (${f(g.efficiencyExcludingBoundary)} counting the boundary as overhead) | >= 0.90: ${verdict(g.efficiency >= 0.9)} |`,
    `| 2 | warm workers: wall per job, ${d.warm.jobs} jobs in sequence | warm pool ${s(d.warm.warmMsPerJob)} | fresh process per job ${s(d.warm.freshMsPerJob)} | fresh / warm **${f(d.warm.ratio)}x** | - |`,
    `| 3 | boundary cost (tensor files + IPC) for the largest default model, ${g.boundary.model} | ${s(g.boundary.tensorIoMs + g.boundary.ipcMs)} (files ${s(g.boundary.tensorIoMs)}, IPC ${s(g.boundary.ipcMs)}) | its job time ${s(g.boundary.jobMs)} | **${f(100 * g.boundary.shareOfJobTime, 2)}%** | < 2%: ${verdict(g.boundary.shareOfJobTime < 0.02)} |`,
    `| 5 | fuzz throughput, ${one?.cases ?? 0} cases | ${two ? `${f(two.casesPerSecond)} cases/s on ${two.workers} workers` : '-'} | ${one ? `${f(one.casesPerSecond)} cases/s on 1 worker` : '-'} | **${one && two ? f(two.casesPerSecond / one.casesPerSecond) : 'n/a'}x** | - |`,
    `| 6 | ONNX export, median over the default set's static jobs | optimize=True ${s(d.exportOptimize.optimizedMedianMs)} | optimize=False ${s(d.exportOptimize.unoptimizedMedianMs)} | **${f(d.exportOptimize.optimizedMedianMs / d.exportOptimize.unoptimizedMedianMs)}x** | - |`,
    '',
    '## 4. Runtime latency of each default model\'s `.onnx` (one thread each, median of 50 runs)',
    '',
    '| model | onnxruntime-node | Python onnxruntime | eager torch | node / Python ORT (target <= 1.2) | node / eager |',
    '|---|---|---|---|---|---|',
    ...d.latency.map((l) => `| ${l.model} | ${f(l.nodeMs, 3)} ms | ${f(l.pythonOrtMs, 3)} ms | ${f(l.eagerMs, 3)} ms | ${f(l.nodeMs / l.pythonOrtMs)} ${l.nodeMs / l.pythonOrtMs <= 1.2 ? '' : '**over**'} | ${f(l.nodeMs / l.eagerMs)} |`),
    '',
    '## Fuzz throughput per backend (default sweep: eager + artifact + compare per case)',
    '',
    '| backend | cases / s |',
    '|---|---|',
    ...Object.entries(g.fuzzCasesPerSecond).map(([b, v]) => `| ${b} | ${f(v)} |`),
    '',
    '## 6. Export cost per backend (median per job, default sweep)',
    '',
    '| backend | median export |' + (d.upstreamExport ? ' upstream median | ours / upstream |' : ''),
    '|---|---|' + (d.upstreamExport ? '---|---|' : ''),
    ...Object.entries(g.exportMedianMs).map(([b, ms]) => `| ${b} | ${s(ms)} |` + (d.upstreamExport?.[b] ? ` ${s(d.upstreamExport[b].upstreamMs)} | ${f(d.upstreamExport[b].oursMs / d.upstreamExport[b].upstreamMs)} |` : '')),
    '',
    '## 7. Memory per worker over the default sweep (peak resident set per job)',
    '',
    `Peak over all jobs: ${g.memory.peakRssMb} MB.`,
    '',
    '| worker pid | jobs | first job | last job | max | growth |',
    '|---|---|---|---|---|---|',
    ...g.memory.perWorker.map((w) => `| ${w.pid} | ${w.jobs} | ${w.firstMb} MB | ${w.lastMb} MB | ${w.maxMb} MB | ${f(w.lastMb / w.firstMb)}x |`),
    '',
  ];
  return `${lines.join('\n')}\n`;
}
