// Which package of a version bump broke a job: the regressions `diff` finds between two runs made
// under different pin sets are run again under sets that move only some of the direct requirements
// (smallest first), until the smallest moves that make each one fail are known. Every set is a real
// pin set, resolved by uv and built as its own cached environment; every run is a real sweep of the
// regressed jobs, kept in NEW_RUN/bisect/<set>/ so a bisect run again reruns nothing.
import { join } from 'node:path';
import { globToRegExp, loadCatalog } from '../catalog/catalog.js';
import { loadTinyOverrides } from '../catalog/tiny-overrides.js';
import { withPins } from '../python/pin-set.js';
import { errorHeadline } from '../report/error-text.js';
import { manifestJobs, RunFolder, type Selection } from '../results/run-folder.js';
import { loadSkipLists } from '../skips/skip-list.js';
import { resolveModelFrom } from '../sweep/checkpoints.js';
import { passed, type JobResult } from '../sweep/job-result.js';
import type { Job } from '../sweep/jobs.js';
import { runSweep, type SweepOptions } from '../sweep/sweep.js';
import { diffRuns } from './diff-runs.js';
import { intermediateName, movesNamedIn, pinMoves, subsetsSmallestFirst, type PinMove } from './pin-moves.js';
import { resolveIntermediate } from './pin-resolve.js';
import { BisectInputError, runPinSet } from './run-pins.js';

export interface BisectOptions {
  baseRun: string;
  newRun: string;
  /** Glob on job ids (``tiny-gemma3/onnx/*``): only the regressions it matches are bisected. */
  jobsMatching?: string;
  /** At most this many intermediate sets are tried (each is an environment and a run). */
  maxSets?: number;
  workers?: number;
  log?: (line: string) => void;
  /** Passed to every run (tests plant a bug through it, as for any sweep). */
  sweep?: Pick<SweepOptions, 'exportConfig' | 'workerEnv'>;
}

/** One job's end under one pin set: pass, fail (with its error line) or skipped. */
export interface Outcome {
  set: string;
  status: string;
  failed: boolean;
  line: string;
}

export type Verdict =
  /** the smallest moves whose sets make the job fail: the package(s) to report */
  | 'blamed'
  /** the job passes again under the new pins: it did not reproduce, no package is blamed */
  | 'flaky'
  /** the job fails under the base pins now too: the harness or exporter changed since the base run */
  | 'not-pins'
  /** no set short of the whole bump makes it fail (the moves break it only together) */
  | 'whole-bump'
  /** the sets that could tell did not resolve, or --max-sets stopped the search first */
  | 'undecided';

export interface BisectedJob {
  id: string;
  modelClass: string;
  /** as the two runs recorded it */
  before: string;
  after: string;
  verdict: Verdict;
  /** for ``blamed``: each smallest set that reproduces the failure, with what the job did there */
  culprits: { moves: PinMove[]; outcome: Outcome }[];
  /** every set this job ran under, in order */
  outcomes: Outcome[];
}

export interface TriedSet {
  name: string;
  moves: PinMove[];
  /** uv's reason when it did not resolve */
  conflict?: string;
  runDir?: string;
  jobs: string[];
}

export interface BisectReport {
  baseline: { run: string; pins: string };
  current: { run: string; pins: string };
  moves: PinMove[];
  regressions: number;
  sets: TriedSet[];
  jobs: BisectedJob[];
  /** sets left untried because --max-sets was reached */
  untried: string[];
  startedAt: string;
  endedAt: string;
}

const outcomeOf = (set: string, r: JobResult | undefined): Outcome => {
  if (!r) return { set, status: 'no result', failed: false, line: 'the run kept no result for it' };
  const failed = !passed(r) && r.status !== 'skipped';
  const line = passed(r) ? `passed, max abs ${typeof r.maxAbsError === 'number' ? r.maxAbsError.toExponential(1) : '-'}` : errorHeadline(r)?.slice(0, 300) ?? r.status;
  return { set, status: r.status, failed, line };
};

/** Runs ``jobs`` under ``pinFile`` into ``runDir``, reusing every result that folder already holds
 * (a bisect run again), and returns each job's result. */
async function runUnder(pinFile: string, runDir: string, jobs: Job[], selection: Selection, options: BisectOptions): Promise<Map<string, JobResult>> {
  return withPins(pinFile, async () => {
    const folder = new RunFolder(runDir);
    const lock = folder.lock('bisect');
    try {
      const done = new Set(folder.exists() ? folder.results().map((r) => r.id) : []);
      const todo = jobs.filter((job) => !done.has(job.id));
      if (folder.exists() && todo.length) {
        // more jobs for a set run before: the manifest lists them, or their results would be foreign
        const manifest = folder.readManifest();
        const models = new Map([...manifest.selection.models, ...todo.map((j) => j.model)].map((m) => [m.id, m]));
        folder.writeManifest({ ...manifest, selection: { ...manifest.selection, models: [...models.values()] }, jobs: [...new Set([...manifest.jobs, ...todo.map((j) => j.id)])] });
      }
      if (todo.length) {
        const catalog = await loadCatalog();
        await runSweep({
          ...options.sweep,
          jobs: todo, runDir, workers: Math.max(1, Math.min(options.workers ?? 2, todo.length)),
          selection: { ...selection, models: [...new Map(todo.map((j) => [j.model.id, j.model])).values()], shard: undefined, probeSkips: true },
          skipLists: loadSkipLists(undefined, catalog), probeSkips: true, implementation: selection.implementation,
          artifactCache: true, fuzz: { numRuns: selection.shapes, seed: selection.seed },
          resolveModel: resolveModelFrom({ catalog, overrides: loadTinyOverrides() }),
        });
      }
      return new Map(folder.results().map((r) => [r.id, r]));
    } finally {
      lock.release();
    }
  });
}

export async function bisect(options: BisectOptions): Promise<BisectReport> {
  const log = options.log ?? (() => {});
  const startedAt = new Date().toISOString();
  const [base, next] = [runPinSet(options.baseRun), runPinSet(options.newRun)];
  const [baseFolder, newFolder] = [new RunFolder(options.baseRun), new RunFolder(options.newRun)];
  const newManifest = newFolder.readManifest();
  if (base.key === next.key) {
    throw new BisectInputError(`${options.baseRun} and ${options.newRun} were made under the same pin set (${base.name}, key ${base.key}): no package moved, so there is nothing to bisect; \`export-sweep diff\` shows what changed between them (the harness, the exporters or the models)`);
  }
  const moves = pinMoves(base, next, Object.keys(newManifest.versions ?? {}));
  if (!moves.length) {
    throw new BisectInputError(`${base.name} and ${next.name} pin the same versions of every direct requirement (they differ only in transitive pins): there is no direct requirement to move; compare the two .txt files`);
  }
  const diff = diffRuns({ name: options.baseRun, results: baseFolder.results() }, { name: options.newRun, results: newFolder.results() });
  const glob = options.jobsMatching ? globToRegExp(options.jobsMatching) : undefined;
  const regressions = diff.changes.filter((c) => c.kind === 'regression' && (!glob || glob.test(c.id)));
  const report: BisectReport = {
    baseline: { run: options.baseRun, pins: base.name }, current: { run: options.newRun, pins: next.name }, moves,
    regressions: regressions.length, sets: [], jobs: [], untried: [], startedAt, endedAt: startedAt,
  };
  if (!regressions.length) {
    report.endedAt = new Date().toISOString();
    return report;
  }
  const baseResults = new Map(baseFolder.results().map((r) => [r.id, r]));
  const newResults = new Map(newFolder.results().map((r) => [r.id, r]));
  const allJobs = new Map(manifestJobs(newManifest).map((j) => [j.id, j]));
  const jobs: BisectedJob[] = regressions.map((c) => ({
    id: c.id, modelClass: c.modelClass, before: outcomeOf(base.name, baseResults.get(c.id)).line, after: outcomeOf(next.name, newResults.get(c.id)).line,
    verdict: 'undecided', culprits: [], outcomes: [],
  }));
  report.jobs = jobs;
  const run = async (name: string, pinFile: string, moved: PinMove[], open: BisectedJob[]) => {
    const runDir = join(options.newRun, 'bisect', name);
    log(`bisect: ${name}: ${open.length} job(s) under ${moved.length ? moved.map((m) => `${m.name} ${m.to}`).join(', ') : 'its own pins'} -> ${runDir}`);
    const results = await runUnder(pinFile, runDir, open.map((j) => allJobs.get(j.id)!), newManifest.selection, options);
    report.sets.push({ name, moves: moved, runDir, jobs: open.map((j) => j.id) });
    return new Map(open.map((j) => {
      const outcome = outcomeOf(name, results.get(j.id));
      j.outcomes.push(outcome);
      return [j.id, outcome];
    }));
  };

  // the regression must still be there under the new pins and still pass under the old ones, at
  // this commit, or no package can be blamed for it
  const underNew = await run(next.name, next.file, moves, jobs);
  for (const j of jobs) if (!underNew.get(j.id)!.failed) j.verdict = 'flaky';
  const reproduced = jobs.filter((j) => j.verdict !== 'flaky');
  const underBase = reproduced.length ? await run(base.name, base.file, [], reproduced) : new Map<string, Outcome>();
  for (const j of reproduced) if (underBase.get(j.id)!.failed) j.verdict = 'not-pins';

  let open = jobs.filter((j) => j.verdict === 'undecided');
  // One direct requirement at a time: each move alone, or, where it does not resolve alone, with the
  // moved packages uv names in its reason (torch with torchvision), until it resolves. These units
  // are then tried alone, then two together, and so on, smallest first.
  const units: { moves: PinMove[]; file: string; name: string }[] = [];
  const conflicts = new Map<string, string>();
  const resolve = (moved: PinMove[]) => {
    const ordered = moves.filter((m) => moved.some((x) => x.name === m.name));
    const resolution = resolveIntermediate(base, base.file, moves, ordered);
    if (!resolution.ok && !conflicts.has(resolution.name)) {
      log(`bisect: ${resolution.name}: does not resolve: ${resolution.conflict}`);
      report.sets.push({ name: resolution.name, moves: ordered, conflict: resolution.conflict, jobs: [] });
      conflicts.set(resolution.name, resolution.conflict);
    }
    return { ordered, resolution };
  };
  for (const move of open.length ? moves : []) {
    let moved = [move];
    for (;;) {
      const { ordered, resolution } = resolve(moved);
      if (resolution.ok) {
        if (!units.some((u) => u.name === resolution.name)) units.push({ moves: ordered, file: resolution.file, name: resolution.name });
        break;
      }
      const along = movesNamedIn(resolution.conflict, moves, ordered);
      if (!along.length || ordered.length + along.length >= moves.length) break; // only the whole bump resolves
      moved = [...ordered, ...along];
    }
  }
  const maxSets = options.maxSets ?? 16;
  let tried = 0;
  let size = 0;
  for (const chosen of subsetsSmallestFirst(units)) {
    if (chosen.length !== size) {
      // a size is finished: a job blamed at it keeps its smallest culprits and leaves the search
      for (const j of open) if (j.culprits.length) j.verdict = 'blamed';
      open = open.filter((j) => j.verdict === 'undecided');
      size = chosen.length;
    }
    if (!open.length) break;
    const moved = moves.filter((m) => chosen.some((u) => u.moves.some((x) => x.name === m.name)));
    if (moved.length === moves.length) continue; // the whole bump, run first
    if (tried >= maxSets) {
      report.untried.push(intermediateName(base.name, moved));
      continue;
    }
    const set = chosen.length === 1 ? { ok: true as const, ...chosen[0] } : resolve(moved).resolution;
    if (!set.ok) continue;
    tried += 1;
    const outcomes = await run(set.name, set.file, moved, open);
    for (const j of open) {
      const outcome = outcomes.get(j.id)!;
      if (outcome.failed) j.culprits.push({ moves: moved, outcome });
    }
  }
  for (const j of open) {
    if (j.culprits.length) j.verdict = 'blamed';
    // a set that does not resolve is no environment anyone can install: every one that does was tried
    else if (!report.untried.length) j.verdict = 'whole-bump';
  }
  report.endedAt = new Date().toISOString();
  return report;
}
