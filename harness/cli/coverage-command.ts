// `export-sweep coverage`: a tiny config for every listed class, one eager forward each.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { loadCatalog } from '../catalog/catalog.js';
import { measureCoverage } from '../catalog/tiny-coverage.js';
import { loadTinyOverrides } from '../catalog/tiny-overrides.js';
import { REPO_ROOT } from '../python/paths.js';
import { WorkerPool } from '../worker/pool.js';
import { parseCommand, positiveInt } from './args.js';
import { pickFromCatalog } from './selection.js';

export const COVERAGE_USAGE = `usage: export-sweep coverage [PATTERN] [--family T] [--task T] [--modality M] [--jobs N] [--out FILE]

Builds a tiny config for every listed class (generic shrinker + the rows' tinyConfig, harness/architectures/),
instantiates it with seeded weights and runs one eager forward (its float outputs must not all be
constant); reports the share that works, the failures grouped by error, and the slowest and largest
tiny models. --out: the JSON report (default reports/tiny-coverage.json).`;

export async function coverageCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(args, COVERAGE_USAGE, {
    family: { type: 'string' }, task: { type: 'string' }, modality: { type: 'string' }, jobs: { type: 'string' }, out: { type: 'string' },
  } as const);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const catalog = await loadCatalog();
  const filter = { family: values.family, task: values.task, modality: values.modality, pattern: positionals[0] };
  const entries = Object.values(filter).some(Boolean) ? pickFromCatalog(catalog, filter) : catalog;
  const overrides = loadTinyOverrides(undefined, new Set(catalog.map((e) => e.model_type)));
  const pool = new WorkerPool({ size: positiveInt(values.jobs, '--jobs') ?? availableParallelism(), recycleAfterJobs: 100 });
  console.log(`export-sweep: tiny configs for ${entries.length} classes on ${pool.size} workers`);
  try {
    const report = await measureCoverage(entries, overrides, pool);
    const out = values.out ?? join(REPO_ROOT, 'reports', 'tiny-coverage.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(report, null, 1));
    for (const group of report.failures.slice(0, 30)) {
      console.log(`${String(group.classes.length).padStart(4)}  ${group.stage.padEnd(11)} ${group.error.slice(0, 110)}  (${group.classes.slice(0, 3).join(', ')}${group.classes.length > 3 ? ', ...' : ''})`);
    }
    console.log(`\nslowest: ${report.slowest.map((r) => `${r.class} ${(r.ms / 1000).toFixed(1)}s`).join(', ')}`);
    console.log(`largest: ${report.largest.map((r) => `${r.class} ${r.parameters}`).join(', ')}`);
    console.log(`\n${report.working}/${report.classes} classes (${(100 * report.share).toFixed(1)}%) instantiate and run one eager forward; report: ${out}`);
    return 0;
  } finally {
    await pool.close();
  }
}
