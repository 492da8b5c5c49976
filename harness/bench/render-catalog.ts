// BENCHMARKS.md's catalog section: the sample, the method, the extrapolated full-catalog times
// against issue 17's targets, where a job's time goes, and the cost cuts against themselves off.
import type { CatalogSample } from './catalog-sample.js';
import { sum } from './stats.js';

const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const pct = (part: number, whole: number) => `${f((100 * part) / whole, 1)}%`;
const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
const PARTS = ['load', 'eager', 'export', 'run', 'crossRun', 'fuzz', 'tensorIo', 'ipc'];
const STAGE_ORDER = ['trace', 'decompose', 'onnx_translate', 'onnx_optimize', 'lower', 'to_executorch', 'other'];

export function renderCatalogSample(c: CatalogSample): string[] {
  const hours = c.oneMachineMs / 3_600_000;
  const sixteen = c.shards.find((s) => s.count === 16);
  const spread = sixteen ? sixteen.maxMs / sixteen.minMs - 1 : NaN;
  const seen = new Set(Object.values(c.exportStages).flatMap((s) => Object.keys(s)));
  const stages = [...STAGE_ORDER.filter((stage) => seen.has(stage)), ...[...seen].filter((stage) => !STAGE_ORDER.includes(stage))];
  const classes = c.measured.flatMap((part) => part.classes).length;
  const wallMs = sum(c.measured.map((part) => part.wallMs));
  const jobMs = sum(c.measured.map((part) => part.jobMs));
  const disk = { stored: sum(c.measured.map((p) => p.disk.storedBytes)), three: sum(c.measured.map((p) => p.disk.threeCopiesBytes)) };
  return [
    '## 8. The whole catalog, extrapolated from a sample',
    '',
    `The sample: ${c.sampleSize} of the catalog's ${c.catalogClasses} classes, one in every ${f(c.catalogClasses / c.sampleSize, 0)} by name (every family spread over it; the same classes on every machine), each with every backend and static, dynamic and generate (generative classes), ${c.shapes} fuzzed shapes per dynamic job, skip lists on, on ${c.workers} workers of one torch thread, on a cold cache of the bench's own (checkpoints built, published and downloaded, nothing reused). It takes hours here, so \`npm run bench -- catalog\` measures it in ${c.parts} parts (part i: sampled classes i, i + ${c.parts}, ...), one part per run, on an otherwise idle machine. **Measured so far: ${c.measured.length} of ${c.parts} parts, ${classes} classes, ${sum(c.measured.map((p) => p.jobs))} jobs in ${f(wallMs / 60_000, 1)} min wall** (${Object.entries(c.statuses).map(([k, v]) => `${v} ${k}`).join(', ')}); the classes of each part are in BENCHMARKS.json.`,
    '',
    '| part | measured (UTC) | load average at start, end | classes | jobs | wall |',
    '|---|---|---|---|---|---|',
    ...c.measured.map((p) => `| ${p.part} | ${p.date.slice(0, 16).replace('T', ' ')} | ${f(p.loadAverage.start, 1)}, ${f(p.loadAverage.end, 1)} | ${p.classes.length} | ${p.jobs} | ${f(p.wallMs / 60_000, 1)} min |`),
    '',
    `Method: one machine = the parts' walls x ${c.catalogClasses} / ${classes}. Shards: every catalog class is costed as the measured class at or before it by name (its jobs' measured times, skip-listed jobs at 0, plus ${f(c.perClassMs / 1000, 1)} s of worker time per class outside jobs: start, checkpoint build and download, waiting), dealt by \`--shard\`'s own planner (longest first) over ${c.workers}-worker runners; a shard's wall is its cost / ${c.workers}.`,
    '',
    '| figure | estimate | target |',
    '|---|---|---|',
    `| full catalog on one ${c.workers}-core machine | ${f(hours, 1)} h | <= 12 h: ${verdict(hours <= 12)} |`,
    ...(sixteen ? [
      `| 16-shard matrix, slowest shard | ${f(sixteen.maxMs / 60_000, 0)} min | <= 60 min: ${verdict(sixteen.maxMs <= 3_600_000)} |`,
      `| 16 shards: slowest / quickest - 1 | ${f(100 * spread, 1)}% | <= 15%: ${verdict(spread <= 0.15)} |`,
    ] : []),
    `| one machine, the export step alone (\`durationsMs.export\`; nothing else costing anything) | ${f(c.exportOnlyMs.exporters / 3_600_000, 1)} h | a floor no harness cut lowers |`,
    `| one machine, the export's library stages alone (\`exportStagesMs\`: torch.export, ONNX translation, ExecuTorch lowering) | ${f(c.exportOnlyMs.libraryStages / 3_600_000, 1)} h | lowered only by exporting less or by faster upstream releases |`,
    '',
    `The costliest classes of the sample (their jobs' time, share of all job time): ${c.costliest.map((k) => `${k.class} ${f(k.ms / 1000, 0)} s (${pct(k.ms, jobMs)})`).join(', ')}.`,
    '',
    'Where the sample\'s job time goes (share of each row\'s total time in jobs, from each result\'s `durationsMs`; the parts can overlap, since a fuzzed case\'s eager and runs also count in `fuzz`, so a row may add up past 100%):',
    '',
    `| jobs | count | total | ${PARTS.join(' | ')} |`,
    `|---|---|---|${PARTS.map(() => '---|').join('')}`,
    ...Object.entries(c.time).sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, p]) =>
      `| ${key} | ${p.jobs} | ${f(p.total / 1000, 0)} s | ${PARTS.map((name) => pct(p[name] ?? 0, p.total)).join(' | ')} |`),
    '',
    ...(stages.length ? [] : ['No export of the measured jobs finished yet.', '']),
    ...(stages.length ? ['The export by library stage (`exportStagesMs`, forward jobs; share of the backend\'s export time):', ''] : []),
    ...(stages.length ? [`| backend | export | ${stages.join(' | ')} |`, `|---|---|${stages.map(() => '---|').join('')}`] : []),
    ...Object.entries(c.exportStages).map(([backend, s]) => {
      const total = sum(Object.values(s));
      return `| ${backend} | ${f(total / 1000, 0)} s | ${stages.map((stage) => (s[stage] === undefined ? '-' : pct(s[stage], total))).join(' | ')} |`;
    }),
    '',
    'Cost cuts, each against itself switched off:',
    '',
    '| cut | on | with it | without it | without / with |',
    '|---|---|---|---|---|',
    ...(c.threads ? [`| one torch thread per worker (\`--threads\`, default 1) | ${c.threads.jobs} dynamo and ONNX jobs of the sample, one worker (load average ${f(c.threads.loadAverage, 1)}) | time in jobs ${f(c.threads.oneThreadMs / 1000)} s | two threads ${f(c.threads.twoThreadsMs / 1000)} s | **${f(c.threads.twoThreadsMs / c.threads.oneThreadMs)}x** |`] : []),
    `| one stored copy of each \`synthetic:\` checkpoint | the measured classes' ${classes} checkpoints | ${f(disk.stored / 2 ** 20, 0)} MB on disk | build + hub + download copies ${f(disk.three / 2 ** 20, 0)} MB | **${f(disk.three / disk.stored)}x** |`,
    '',
  ];
}
