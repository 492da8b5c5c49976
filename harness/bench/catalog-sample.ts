// The whole catalog's cost, from a measured sample: every k-th class of the pinned catalog (sorted by
// name, so the sample is the same on every machine and spreads over every family), all backends,
// static, dynamic and generate, swept as `export-sweep run` sweeps it on a cold cache of its own.
// The sample takes hours on a 2-core machine, so it is measured in parts: each `npm run bench --
// catalog` sweeps the next unmeasured part (every n-th sampled class) into a folder kept outside the
// repo, and the figures come from every part measured so far. Extrapolated two ways: one machine
// (the parts' walls x catalog / classes measured), and a matrix of shards (the classes dealt by
// planShards, each unmeasured class costed as the measured class of its stretch of the sorted catalog).
import { existsSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { loadCatalog, type CatalogEntry } from '../catalog/catalog.js';
import { loadTinyOverrides } from '../catalog/tiny-overrides.js';
import { catalogClassEntry } from '../cli/selection.js';
import { cacheRoot } from '../python/paths.js';
import { pinSetKey } from '../python/pin-set.js';
import { RunFolder } from '../results/run-folder.js';
import { loadSkipLists } from '../skips/skip-list.js';
import { resolveModelFrom } from '../sweep/checkpoints.js';
import type { JobResult } from '../sweep/job-result.js';
import { BACKENDS, expandJobs, MODES } from '../sweep/jobs.js';
import { loadCostTable, planShards, recordCosts } from '../sweep/shard-plan.js';
import { groupBy, sum } from './stats.js';
import { timedSweep } from './timed-sweep.js';

/** One measured part of the sample. */
export interface SamplePart {
  part: number;
  date: string;
  loadAverage: { start: number; end: number };
  classes: string[];
  jobs: number;
  wallMs: number;
  jobMs: number;
  disk: { storedBytes: number; threeCopiesBytes: number };
}

export interface CatalogSample {
  catalogClasses: number;
  sampleSize: number;
  parts: number;
  measured: SamplePart[];
  workers: number;
  shapes: number;
  statuses: Record<string, number>;
  /** Σ over the measured jobs, ms, by part of a job (durationsMs) and by backend/mode. */
  time: Record<string, Record<string, number>>;
  /** Σ export time by library stage (exportStagesMs), ms, by backend. */
  exportStages: Record<string, Record<string, number>>;
  /** Worker time outside jobs per class (start, checkpoint build and download, waiting), ms. */
  perClassMs: number;
  oneMachineMs: number;
  /** The one-machine figure of the export step alone (durationsMs.export) and of its library stages
   * alone (exportStagesMs): what is left if everything the harness adds around them cost nothing. */
  exportOnlyMs: { exporters: number; libraryStages: number };
  /** The sample's classes with the most job time, most first. */
  costliest: { class: string; ms: number }[];
  shards: { count: number; maxMs: number; minMs: number }[];
  threads?: { date: string; loadAverage: number; jobs: number; oneThreadMs: number; twoThreadsMs: number };
}

const byName = (a: CatalogEntry, b: CatalogEntry) => (a.class < b.class ? -1 : a.class > b.class ? 1 : 0);

/** Every k-th class of the sorted catalog, k = catalog / size. */
export function sampleClasses(catalog: CatalogEntry[], size: number): CatalogEntry[] {
  const sorted = [...catalog].sort(byName);
  const step = sorted.length / Math.min(size, sorted.length);
  return Array.from({ length: Math.min(size, sorted.length) }, (_, i) => sorted[Math.floor(i * step)]);
}

/** A cache of the bench's own (cold checkpoints, hub, artifacts), sharing only the Python environments. */
async function coldCache(dir: string): Promise<void> {
  const python = join(cacheRoot(), 'python');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  if (existsSync(python)) symlinkSync(python, join(dir, 'python'));
  process.env.EXPORT_SWEEP_CACHE = dir;
}

/** Bytes of the local hub and the downloads counted once per inode (on disk), and as three copies of
 * the hub's files (build, hub and download: the layout before one stored copy). */
function diskUse(cache: string): SamplePart['disk'] {
  const seen = new Set<string>();
  let stored = 0;
  let published = 0;
  const walk = (dir: string, onFile: (size: number, inode: string) => void) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, onFile);
      else if (entry.isFile()) { const st = statSync(path); onFile(st.size, `${st.dev}:${st.ino}`); }
    }
  };
  const count = (size: number, inode: string) => { if (!seen.has(inode)) { seen.add(inode); stored += size; } };
  walk(join(cache, 'local-hub'), (size, inode) => { published += size; count(size, inode); });
  walk(join(cache, 'hub'), count);
  return { storedBytes: stored, threeCopiesBytes: 3 * published };
}

function timeOf(results: JobResult[]): CatalogSample['time'] {
  const time: CatalogSample['time'] = {};
  for (const [key, group] of groupBy(results.filter((r) => r.status !== 'skipped'), (r) => `${r.backend}/${r.mode}`)) {
    const d = (name: keyof JobResult['durationsMs']) => sum(group.map((r) => r.durationsMs[name] ?? 0));
    time[key] = {
      load: d('load'), eager: d('eager'), export: d('export'), run: d('run'), crossRun: d('crossRun'), fuzz: d('fuzz'),
      tensorIo: d('tensorIo'), ipc: d('ipc'), total: d('total'), jobs: group.length,
    };
  }
  return time;
}

function stagesOf(results: JobResult[]): CatalogSample['exportStages'] {
  const stages: CatalogSample['exportStages'] = {};
  for (const r of results) {
    for (const [stage, ms] of Object.entries(r.exportStagesMs ?? {})) {
      stages[r.backend] ??= {};
      stages[r.backend][stage] = (stages[r.backend][stage] ?? 0) + ms;
    }
  }
  return stages;
}

/** Estimated shard walls: each catalog class costed as the last measured class at or before it by name. */
function shardEstimates(catalog: CatalogEntry[], measured: string[], results: JobResult[], perClassMs: number, workers: number, counts: number[]) {
  const stored = loadCostTable();
  const costs = recordCosts({ ...stored, classes: {} }, results).table.classes;
  const sorted = [...catalog].sort(byName);
  const known = [...measured].sort();
  let at = 0;
  const classes: Record<string, Record<string, number>> = {};
  for (const entry of sorted) {
    while (at + 1 < known.length && known[at + 1] <= entry.class) at++;
    classes[entry.class] = costs[known[at]] ?? {};
  }
  // A job the measured class did not run (skip-listed, or not generative) costs nothing, as there.
  const table = { defaults: Object.fromEntries(Object.keys(stored.defaults).map((k) => [k, 0])), perClass: perClassMs / 1000, classes };
  const jobs = expandJobs(sorted.map((e) => catalogClassEntry(e, catalog)), BACKENDS, MODES);
  return counts.map((count) => {
    const walls = planShards(jobs, count, table).map((s) => (s.cost * 1000) / workers);
    return { count, maxMs: Math.max(...walls), minMs: Math.min(...walls) };
  });
}

export interface SampleSettings {
  /** Where the parts' run folders and figures are kept between runs (outside the repo). */
  dir: string;
  size: number;
  parts: number;
  shapes: number;
  /** false: no part swept, the figures only, from the parts measured so far (BENCH_CATALOG_MEASURE=0). */
  measure: boolean;
}

export function defaultSampleSettings(): SampleSettings {
  const size = Number(process.env.BENCH_CATALOG_SAMPLE ?? 60);
  const parts = Number(process.env.BENCH_CATALOG_PARTS ?? 6);
  const dir = process.env.BENCH_CATALOG_DIR ?? join(cacheRoot(), 'bench-catalog', `${pinSetKey()}-${size}x${parts}`);
  return { dir, size, parts, shapes: 10, measure: process.env.BENCH_CATALOG_MEASURE !== '0' };
}

const partFile = (dir: string, part: number) => join(dir, `part-${part}.json`);

/** Sweeps the next unmeasured part of the sample (if any), then the figures of every part measured. */
export async function measureCatalogSample(settings: SampleSettings): Promise<CatalogSample> {
  const { dir, size, parts, shapes, measure } = settings;
  await mkdir(dir, { recursive: true });
  const catalog = await loadCatalog();
  const sample = sampleClasses(catalog, size);
  const classesOf = (part: number) => sample.filter((_, i) => i % parts === part - 1);
  const workers = availableParallelism();
  const next = measure ? Array.from({ length: parts }, (_, i) => i + 1).find((part) => !existsSync(partFile(dir, part))) : undefined;
  if (next !== undefined) {
    const loadStart = loadavg()[0];
    const cache = join(dir, 'cache');
    await coldCache(cache);
    const models = classesOf(next).map((e) => catalogClassEntry(e, catalog));
    const common = { skipLists: loadSkipLists(undefined, catalog), resolveModel: resolveModelFrom({ catalog, overrides: loadTinyOverrides() }), artifactCache: false, fuzz: { numRuns: shapes, seed: 1 } };
    await rm(join(dir, `part-${next}`), { recursive: true, force: true }); // a part cut short runs again whole
    console.log(`bench: catalog sample part ${next} of ${parts}: ${models.length} classes (${models.map((m) => m.id).join(', ')})`);
    const run = await timedSweep(dir, `part-${next}`, { ...common, jobs: expandJobs(models, BACKENDS, MODES), workers, threads: 1 });
    const measured: SamplePart = {
      part: next, date: new Date().toISOString(), loadAverage: { start: loadStart, end: loadavg()[0] }, classes: models.map((m) => m.id),
      jobs: run.results.length, wallMs: run.wallMs, jobMs: run.jobMs, disk: diskUse(cache),
    };
    const threadsMeasurable = run.results.some((r) => r.mode !== 'generate' && ['dynamo', 'onnx'].includes(r.backend) && r.status === 'pass');
    if (!existsSync(join(dir, 'threads.json')) && threadsMeasurable) {
      // One torch thread per worker against two, one worker, on this part's passing forward jobs.
      const passed = models.filter((m) => run.results.some((r) => r.model === m.id && r.mode !== 'generate' && r.status === 'pass')).slice(0, 4);
      const jobs = expandJobs(passed, ['dynamo', 'onnx'], ['static', 'dynamic']);
      const load = loadavg()[0];
      const one = await timedSweep(dir, 'threads-1', { ...common, jobs, workers: 1, threads: 1 });
      const two = await timedSweep(dir, 'threads-2', { ...common, jobs, workers: 1, threads: 2 });
      writeFileSync(join(dir, 'threads.json'), JSON.stringify({ date: new Date().toISOString(), loadAverage: load, jobs: jobs.length, oneThreadMs: one.jobMs, twoThreadsMs: two.jobMs }));
    }
    writeFileSync(partFile(dir, next), JSON.stringify(measured, null, 1));
    await rm(cache, { recursive: true, force: true });
  }
  const done = Array.from({ length: parts }, (_, i) => i + 1).filter((part) => existsSync(partFile(dir, part)))
    .map((part) => JSON.parse(readFileSync(partFile(dir, part), 'utf8')) as SamplePart);
  const results = done.flatMap((part) => new RunFolder(join(dir, `part-${part.part}`)).readResults().results);
  const classes = done.flatMap((part) => part.classes);
  const wallMs = sum(done.map((part) => part.wallMs));
  const perClassMs = Math.max(0, wallMs * workers - sum(done.map((part) => part.jobMs))) / Math.max(1, classes.length);
  const threadsPath = join(dir, 'threads.json');
  const perCatalogWall = catalog.length / Math.max(1, classes.length) / workers;
  const byClass = [...groupBy(results, (r) => r.modelClass)].map(([name, rs]) => ({ class: name, ms: sum(rs.map((r) => r.durationsMs.total ?? 0)) }));
  return {
    catalogClasses: catalog.length,
    sampleSize: sample.length,
    parts,
    measured: done,
    workers,
    shapes,
    statuses: Object.fromEntries([...groupBy(results, (r) => r.status)].map(([k, v]) => [k, v.length])),
    time: timeOf(results),
    exportStages: stagesOf(results),
    perClassMs,
    oneMachineMs: (wallMs * catalog.length) / Math.max(1, classes.length),
    exportOnlyMs: {
      exporters: sum(results.map((r) => r.durationsMs.export ?? 0)) * perCatalogWall,
      libraryStages: sum(results.flatMap((r) => Object.values(r.exportStagesMs ?? {}))) * perCatalogWall,
    },
    costliest: byClass.sort((a, b) => b.ms - a.ms).slice(0, 5),
    shards: classes.length ? shardEstimates(catalog, classes, results, perClassMs, workers, [1, 16]) : [],
    threads: existsSync(threadsPath) ? JSON.parse(readFileSync(threadsPath, 'utf8')) : undefined,
  };
}
