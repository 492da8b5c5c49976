// The whole catalog runs as many shards over many days and machines, and a run folder outlives
// neither (gigabytes of artifacts, on machines that are wiped). What the catalog status needs of a
// shard is small: each job's verdict, failing stage, error line and largest error. A record keeps
// that, with the pin set, commit and time it ran at, as one JSON file per shard in the repository
// (docs/catalog-records/<pin set>/), so shards run in different sessions add up.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../python/paths.js';
import { RunFolder, type RunManifest } from '../results/run-folder.js';
import type { JobResult } from '../sweep/job-result.js';

export const RECORDS_DIR = join(REPO_ROOT, 'docs', 'catalog-records');

/** The longest error message a record keeps: the first lines say what failed; the run folder had the rest. */
const MESSAGE_CHARS = 400;

export interface CatalogRecord {
  schema: 1;
  pins: RunManifest['pins'];
  versions: RunManifest['versions'];
  git: RunManifest['git'];
  implementation: string;
  /** ``i/n`` of ``run --shard``, or ``null`` for a run of the whole selection. */
  shard: string | null;
  machine: { cpus: number; memoryGb: number };
  startedAt: string;
  endedAt: string | null;
  /** The jobs the run was asked for and has no result for (killed, or cut short). */
  missing: string[];
  results: JobResult[];
}

const clip = (text: string | undefined): string | undefined => (text === undefined || text.length <= MESSAGE_CHARS ? text : `${text.slice(0, MESSAGE_CHARS)}...`);

/** What a record keeps of one result: the verdict and what explains it, not tracebacks, tensors or per-shape detail. */
export function compactResult(r: JobResult): JobResult {
  const { errorInfo, fuzz, generation } = r;
  return {
    id: r.id, model: r.model, modelClass: r.modelClass, backend: r.backend, mode: r.mode, status: r.status,
    ...(r.stage ? { stage: r.stage } : {}),
    ...(errorInfo ? { errorInfo: { stage: errorInfo.stage, type: errorInfo.type, message: clip(errorInfo.message)! } } : {}),
    ...(r.error && !errorInfo ? { error: clip(r.error) } : {}),
    ...(r.inputsNotFed ? { inputsNotFed: r.inputsNotFed } : {}),
    ...(r.maxAbsError !== undefined ? { maxAbsError: r.maxAbsError } : {}),
    ...(fuzz ? { fuzz: { seed: fuzz.seed, path: fuzz.path, cases: fuzz.cases, shrinks: fuzz.shrinks, ok: fuzz.ok, counterexample: fuzz.counterexample, error: clip(fuzz.error), maxAbsError: fuzz.maxAbsError, maxRelError: fuzz.maxRelError } } : {}),
    ...(generation ? { generation: { steps: generation.steps, runtime: generation.runtime, prompts: generation.prompts.map((p) => ({ ...p, eager: [], exported: [] })) } } : {}),
    ...(r.skip ? { skip: r.skip } : {}),
    ...(r.probed ? { probed: r.probed } : {}),
    ...(r.staleSkip ? { staleSkip: true } : {}),
    ...(r.unexpectedError ? { unexpectedError: true } : {}),
    ...(r.workaround ? { workaround: r.workaround } : {}),
    ...(r.implementation ? { implementation: r.implementation } : {}),
    durationsMs: { total: r.durationsMs.total },
    shapes: [],
    finishedAt: r.finishedAt,
  };
}

export function recordOf(runDir: string): CatalogRecord {
  const folder = new RunFolder(runDir);
  const manifest = folder.readManifest();
  const results = folder.results();
  const done = new Set(results.map((r) => r.id));
  const shard = manifest.selection.shard;
  return {
    schema: 1,
    pins: manifest.pins,
    versions: manifest.versions,
    git: manifest.git,
    implementation: manifest.selection.implementation ?? 'ours',
    shard: shard ? `${shard.index}/${shard.count}` : null,
    machine: { cpus: manifest.machine.cpus, memoryGb: manifest.machine.memoryGb },
    startedAt: manifest.startedAt,
    endedAt: manifest.endedAt ?? null,
    missing: manifest.jobs.filter((id) => !done.has(id)),
    results: results.map(compactResult).sort((a, b) => a.id.localeCompare(b.id)),
  };
}

/** The file a record is kept in: one per pin set, implementation and shard, so a shard run again replaces its record. */
export function recordFile(record: CatalogRecord, dir = RECORDS_DIR): string {
  const slice = record.shard ? `shard-${record.shard.replace('/', '-of-')}` : 'whole';
  return join(dir, record.pins.name, `${record.implementation}-${slice}.json`);
}

export function writeRecord(record: CatalogRecord, dir = RECORDS_DIR): string {
  const file = recordFile(record, dir);
  mkdirSync(join(dir, record.pins.name), { recursive: true });
  writeFileSync(file, `${JSON.stringify(record)}\n`);
  return file;
}

/** Every record of pin set ``pins``, by file name (relative to the repository, as the status names them). */
export function readRecords(pins: string, dir = RECORDS_DIR): { file: string; record: CatalogRecord }[] {
  const folder = join(dir, pins);
  if (!existsSync(folder)) return [];
  return readdirSync(folder).filter((f) => f.endsWith('.json')).sort().map((f) => ({
    file: relative(REPO_ROOT, join(folder, f)),
    record: JSON.parse(readFileSync(join(folder, f), 'utf8')) as CatalogRecord,
  }));
}
