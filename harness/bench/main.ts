// `npm run bench`: the harness measured against baselines taken in the same run (so each figure is
// a ratio that survives a slower or busier machine), written to BENCHMARKS.md and BENCHMARKS.json.
// `npm run bench -- default` or `-- catalog` measures one part and keeps the other's last figures.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../python/paths.js';
import { defaultSampleSettings, measureCatalogSample } from './catalog-sample.js';
import { measureDefaultSet } from './default-set.js';
import { renderBenchmarks, type BenchData } from './render.js';

const PARTS = ['default', 'catalog'];
const asked = process.argv.slice(2);
const unknown = asked.filter((part) => !PARTS.includes(part));
if (unknown.length) {
  console.error(`bench: unknown part ${unknown.join(', ')}; the parts are ${PARTS.join(', ')} (none: both)`);
  process.exit(2);
}
const parts = asked.length ? asked : PARTS;
const jsonPath = join(REPO_ROOT, 'BENCHMARKS.json');
const previous = existsSync(jsonPath) ? (JSON.parse(readFileSync(jsonPath, 'utf8')) as BenchData) : undefined;
if (!parts.includes('default') && !previous) {
  console.error('bench: no BENCHMARKS.json to keep the default set\'s figures from; run `npm run bench` (both parts) first');
  process.exit(2);
}
const root = await mkdtemp(join(tmpdir(), 'bench-'));
const measured = parts.includes('default') ? await measureDefaultSet(root) : previous!;
// Last: the catalog sample moves the process to a cold cache of its own. It sweeps one part of the
// sample per run (BENCH_CATALOG_SAMPLE classes in BENCH_CATALOG_PARTS parts, kept in BENCH_CATALOG_DIR).
const catalog = parts.includes('catalog') ? await measureCatalogSample(defaultSampleSettings()) : previous?.catalog;
const data: BenchData = { ...measured, catalog };
writeFileSync(jsonPath, `${JSON.stringify(data, null, 1)}\n`);
writeFileSync(join(REPO_ROOT, 'BENCHMARKS.md'), renderBenchmarks(data));
console.log(`bench: wrote BENCHMARKS.md and BENCHMARKS.json (${parts.join(' and ')} measured; runs in ${root})`);
