// One folder per sweep run: manifest.json says what was asked for and on what (pins, versions,
// commit, machine), results.jsonl holds one line per finished job. Everything needed to resume,
// merge shards, report or diff a run is in its folder.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, hostname, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import type { ModelEntry } from '../catalog/default-models.js';
import type { Implementation } from '../peers/implementations.js';
import { pinSetKey, pinSetName } from '../python/pin-set.js';
import { REPO_ROOT } from '../python/paths.js';
import type { JobResult } from '../sweep/job-result.js';
import { expandJobs, type Job, type Mode, type Shard } from '../sweep/jobs.js';
import { shardJobs } from '../sweep/shard-plan.js';
import { CorruptResultsError, ResultStore } from './result-store.js';
import { RunFolderLock } from './run-folder-lock.js';

/** A run folder's results as readers use them, with what was set aside, to say so. */
export interface RunResults {
  results: JobResult[];
  /** One line each for the user: duplicates collapsed, results of jobs the manifest does not have. */
  notes: string[];
}

export interface Selection {
  models: ModelEntry[];
  backends: string[];
  modes: Mode[];
  /** Fuzzed cases per dynamic job, and the run's seed that each job's seed derives from. */
  shapes: number;
  seed: number;
  shard?: Shard;
  probeSkips?: boolean;
  /** Whose exporter ran the jobs when not ours (export-sweep run --implementation upstream). */
  implementation?: Implementation;
}

export interface RunManifest {
  schema: 1;
  pins: { name: string; key: string };
  versions: Record<string, string | null>;
  git: { commit: string | null; dirty: boolean };
  machine: { hostname: string; platform: string; arch: string; cpus: number; memoryGb: number; node: string };
  selection: Selection;
  /** The ids of this run's jobs: the selection, sliced by the shard if any. */
  jobs: string[];
  startedAt: string;
  endedAt?: string;
  /** For a merged run: the shard folders it came from. */
  mergedFrom?: string[];
}

export const MANIFEST = 'manifest.json';
export const RESULTS = 'results.jsonl';
/** The folder with copies of the pin set the run was made under (``<name>.txt`` and the ``<name>.in``
 * of its direct requirements): what `export-sweep bisect` moves from, even after pins/ has changed.
 * The copy keeps the set's name, so it selects the same cached environment as the original. */
export const PINS_DIR = 'pins';

function git(...args: string[]): string | null {
  try {
    return execFileSync('git', ['-C', REPO_ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function selectionJobs(selection: Selection): Job[] {
  const jobs = expandJobs(selection.models, selection.backends, selection.modes);
  return selection.shard ? shardJobs(jobs, selection.shard) : jobs;
}

/** The jobs a run folder was started with, as its manifest lists them: a resumed shard keeps its
 * slice even when the cost table that planned it has changed since. */
export function manifestJobs(manifest: Pick<RunManifest, 'selection' | 'jobs'>): Job[] {
  const ids = new Set(manifest.jobs);
  return expandJobs(manifest.selection.models, manifest.selection.backends, manifest.selection.modes).filter((job) => ids.has(job.id));
}

export function newManifest(selection: Selection, versions: Record<string, string | null>): RunManifest {
  return {
    schema: 1,
    pins: { name: pinSetName(), key: pinSetKey() },
    versions,
    git: { commit: git('rev-parse', 'HEAD'), dirty: (git('status', '--porcelain') ?? '') !== '' },
    machine: {
      hostname: hostname(), platform: process.platform, arch: process.arch, cpus: cpus().length,
      memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version,
    },
    selection,
    jobs: selectionJobs(selection).map((job) => job.id),
    startedAt: new Date().toISOString(),
  };
}

/** A path given as a run folder that holds no run: the caller's input, not a harness fault. */
export class NotARunFolderError extends Error {}

export class RunFolder {
  readonly store: ResultStore;
  constructor(readonly dir: string) {
    this.store = new ResultStore(join(dir, RESULTS));
  }

  get manifestPath(): string {
    return join(this.dir, MANIFEST);
  }

  exists(): boolean {
    return existsSync(this.manifestPath);
  }

  readManifest(): RunManifest {
    if (!this.exists()) throw new NotARunFolderError(`'${this.dir}' is not a sweep run folder (no ${MANIFEST}); pass the folder a sweep wrote (--out).`);
    return JSON.parse(readFileSync(this.manifestPath, 'utf8')) as RunManifest;
  }

  writeManifest(manifest: RunManifest): void {
    mkdirSync(this.dir, { recursive: true });
    // write-then-rename would be safer still, but a torn manifest is rewritten at the next resume
    writeFileSync(this.manifestPath, `${JSON.stringify(manifest, null, 1)}\n`);
  }

  /** Keeps a copy of the pin file (and the .in beside it, when there is one) in the folder. */
  keepPinSet(pinFile: string): void {
    const dir = join(this.dir, PINS_DIR);
    mkdirSync(dir, { recursive: true });
    copyFileSync(pinFile, join(dir, basename(pinFile)));
    const requirements = pinFile.replace(/\.txt$/, '.in');
    if (requirements !== pinFile && existsSync(requirements)) copyFileSync(requirements, join(dir, basename(requirements)));
  }

  /** Take this folder's writer lock (see run-folder-lock.ts) or throw RunFolderLockedError. */
  lock(command: string): RunFolderLock {
    return RunFolderLock.acquire(this.dir, command);
  }

  /** One result per job of the manifest (the last line of a job id wins), so totals never exceed
   * the manifest's job count; throws CorruptResultsError for a damaged line. */
  readResults(): RunResults {
    const read = this.store.readAll();
    if (read.bad.length) throw new CorruptResultsError(this.store.path, read.bad);
    const { results } = read;
    const notes: string[] = [];
    if (read.duplicates.length) {
      const shown = read.duplicates.slice(0, 3).map((d) => `${d.id} (lines ${d.lines.join(', ')})`).join('; ');
      notes.push(`${this.store.path}: ${read.duplicates.length} job(s) have more than one result line, the last of each is used: ${shown}${read.duplicates.length > 3 ? '; ...' : ''} (\`export-sweep repair ${this.dir}\` moves the older lines aside)`);
    }
    if (!this.exists()) return { results, notes };
    const jobs = new Set(this.readManifest().jobs);
    const foreign = results.filter((r) => !jobs.has(r.id));
    if (foreign.length) {
      notes.push(`${this.store.path}: ${foreign.length} result(s) of jobs not in ${MANIFEST} are left out: ${foreign.slice(0, 3).map((r) => r.id).join(', ')}${foreign.length > 3 ? ', ...' : ''}`);
    }
    return { results: foreign.length ? results.filter((r) => jobs.has(r.id)) : results, notes };
  }

  results(): JobResult[] {
    return this.readResults().results;
  }

  /** The jobs of this run without a result yet: what --resume runs. */
  missingJobs(): Job[] {
    const manifest = this.readManifest();
    const mine = new Set(manifest.jobs);
    const done = new Set(this.results().map((r) => r.id));
    const { models, backends, modes } = manifest.selection;
    return expandJobs(models, backends, modes).filter((job) => mine.has(job.id) && !done.has(job.id));
  }
}
