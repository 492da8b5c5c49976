// `export-sweep run`: the selection x backends x modes, on the warm pool, into a run folder; prints
// the matrix and exits non-zero when any job fails that no entry expects (or an xfail job passes).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { loadCatalog, type CatalogEntry } from '../catalog/catalog.js';
import { loadTinyOverrides } from '../catalog/tiny-overrides.js';
import { IMPLEMENTATIONS, isImplementation, isPeer } from '../peers/implementations.js';
import { REPO_ROOT } from '../python/paths.js';
import { renderTable } from '../report/table.js';
import { expectationNote } from '../report/error-text.js';
import { replayCommand } from '../report/model-report.js';
import { writeJunit } from '../report/junit.js';
import { writeAllureResults } from '../report/allure-results.js';
import { writeRunReport } from '../report/write-report.js';
import { manifestJobs, RunFolder, selectionJobs, type Selection } from '../results/run-folder.js';
import { loadSkipLists } from '../skips/skip-list.js';
import { resolveModelFrom } from '../sweep/checkpoints.js';
import { isFailure, type JobResult } from '../sweep/job-result.js';
import { BACKENDS, MODES, parseShard, type Job, type Mode } from '../sweep/jobs.js';
import { runSweep, type SweepOptions } from '../sweep/sweep.js';
import { DEFAULT_RECYCLE_AFTER_JOBS, DEFAULT_WORKER_THREADS } from '../worker/pool.js';
import { list, nonNegativeInt, parseCommand, positiveInt, seedInt, SELECTION_USAGE, UsageError } from './args.js';
import { Progress } from './progress.js';
import { selectEntries } from './selection.js';

export const RUN_USAGE = `usage: export-sweep run [selection] [options]

Exports every selected model with every selected backend (static and dynamic), compares each
artifact with eager PyTorch leaf by leaf, fuzzes the dynamic ones over shapes; for generative
classes also exports the generation components and checks a greedy loop over them against eager
generate (8 tokens, prompts of 5 and 9, batch 2, left padding). Writes a run folder (manifest.json,
results.jsonl appended as each job ends). Exit code 1 when a job fails that no skip-list entry
expects, or an xfail entry's job passes (xpass: the entry is stale).

${SELECTION_USAGE}

options:
  --backends a,b    ${BACKENDS.join(', ')} (default: all)
  --modes a,b       static, dynamic, generate (default: all; generate only for generative classes)
  --jobs N          parallel workers (default: cores = ${availableParallelism()})
  --threads N       torch threads in each worker (default ${DEFAULT_WORKER_THREADS}: a sweep's parallelism is its workers)
  --timeout S       seconds one job may take before its worker is killed (default 600)
  --max-memory MB   resident memory one worker may use before it is killed (default: 80% of RAM / jobs)
  --shapes N        fuzzed shapes per dynamic job (default 10; 50 for a nightly run; 0: sample only)
  --seed S          the run's fuzzing seed (default: random, recorded in the manifest)
  --replay S[:P]    replay a fuzz failure: seed S (and fast-check path P) as printed for the job
  --resume RUN      finish an interrupted run: only the jobs without a result in RUN
  --shard i/n       run slice i of n: whole models, balanced by recorded job cost (harness/sweep/job-costs.json;
                    refresh it with \`export-sweep costs RUN...\`); merge the slices with \`export-sweep merge\`
  --probe-skips     run skip-listed jobs anyway and report entries that now pass as stale
                    (xfail entries need no probe: their jobs always run)
  --pins NAME       run under pins/NAME.txt (its own cached Python environment)
  --hub-url URL     the hub that hub: sources download from
  --trust-remote-code  run the repo's own model class that config.json's auto_map names (hub:, local:);
                    reported as remote:<module>.<Class>; no caches. Without it such repos are refused
  --no-artifact-cache  run every job in full: no cached artifact or passing result of an identical
                    earlier job is reused (by default a job unchanged since it passed, with the same
                    --seed, takes no time, and an unchanged export is not run again)
  --recycle-after N    replace a worker after N jobs, bounding its memory growth (default
                    ${DEFAULT_RECYCLE_AFTER_JOBS}; 0 or never: keep each worker for the whole run)
  --implementation I  whose exporter: ours (hf_exporters, default) or upstream (the pinned
                    transformers' own transformers.exporters, run on the same jobs and runtimes)
  --out DIR         run folder (default: reports/<timestamp>)
  --junit FILE      also write the results as JUnit XML (one testsuite per backend; docs/reports.md, "JUnit XML")
  --allure DIR      also write the results as allure-results (one result file per job, attachments;
                    earlier allure files in DIR are removed): \`npx allure generate DIR\` renders them

One process writes a run folder at a time: run --out, run --resume and merge take RUN/writer.lock
(pid, host, start time) and a second writer is refused at once; the lock of a process that died is
taken over. A results.jsonl with a damaged line (other than a torn last line) is refused by file and
line: \`export-sweep repair RUN\` moves such lines to RUN/results.rejected.jsonl. SIGTERM or SIGINT
stops the workers and exits (143 or 130), keeping every finished result for --resume.`;

const OPTIONS = {
  models: { type: 'string' }, family: { type: 'string' }, task: { type: 'string' }, modality: { type: 'string' },
  backends: { type: 'string' }, modes: { type: 'string' }, jobs: { type: 'string' }, threads: { type: 'string' }, timeout: { type: 'string' },
  'max-memory': { type: 'string' }, shapes: { type: 'string' }, seed: { type: 'string' }, replay: { type: 'string' },
  resume: { type: 'string' }, shard: { type: 'string' }, 'probe-skips': { type: 'boolean' }, pins: { type: 'string' },
  'hub-url': { type: 'string' }, 'trust-remote-code': { type: 'boolean' }, implementation: { type: 'string' }, out: { type: 'string' },
  'no-artifact-cache': { type: 'boolean' }, 'recycle-after': { type: 'string' }, junit: { type: 'string' }, allure: { type: 'string' },
} as const;

/** Switches the Python side to another pin set before any worker starts. */
export function usePins(name: string | undefined): void {
  if (!name) return;
  const file = join(REPO_ROOT, 'pins', `${name}.txt`);
  if (!existsSync(file)) throw new UsageError(`--pins ${name}: no pins/${name}.txt; pin sets are the .txt files in pins/`);
  process.env.EXPORT_SWEEP_PINS = file;
}

function parseImplementation(text: string | undefined): Selection['implementation'] {
  if (text === undefined) return undefined;
  if (!isImplementation(text)) throw new UsageError(`--implementation '${text}' must be one of ${IMPLEMENTATIONS.join(', ')}`);
  return isPeer(text) ? text : undefined;
}

/** --recycle-after: a job count, with 0 or ``never`` for no recycling; undefined keeps the pool's default. */
export function parseRecycleAfter(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (text === 'never') return 0;
  if (!/^\d+$/.test(text)) throw new UsageError(`--recycle-after must be a number of jobs (0 or 'never' for no recycling), got '${text}'`);
  return Number(text);
}

function parseReplay(text: string): { seed: number; path?: string } {
  const [seed, path] = text.split(':', 2);
  if (!/^\d+$/.test(seed)) throw new UsageError(`--replay '${text}' must be SEED or SEED:PATH as printed for a failed job`);
  return { seed: Number(seed), path: path || undefined };
}

/** What a finished sweep prints after its matrix: fuzz failures with their replay, stale skips. */
export function summary(results: JobResult[], runDir: string): string[] {
  const lines: string[] = [];
  for (const r of results.filter((x) => x.fuzz && !x.fuzz.ok)) {
    lines.push(`  ${r.id}: ${r.fuzz!.error}\n    replay: ${replayCommand(runDir, r)}`);
  }
  const stale = results.filter((r) => r.staleSkip || r.unexpectedError);
  const cached = results.filter((r) => r.resultCached).length;
  return [
    ...(cached ? ['', `${cached} passing job(s) unchanged since they passed: their results were reused (--no-artifact-cache runs them again)`] : []),
    ...(lines.length ? ['', 'dynamic-shape fuzzing found (smallest failing shapes):', ...lines] : []),
    ...(stale.length ? ['', 'skip-list entries that no longer hold (stale entries fail an xfail run; remove or fix them):',
      ...stale.map((r) => `  ${r.id}: ${expectationNote(r)} ${r.skip!.link}`)] : []),
  ];
}

/** --junit FILE and --allure DIR, for run and report alike: the run folder's results in CI's formats. */
export async function writeOtherReports(values: { junit?: string; allure?: string }, results: JobResult[], runDir: string): Promise<void> {
  if (values.junit) {
    writeJunit(values.junit, results, runDir);
    console.log(`junit: ${values.junit}`);
  }
  if (values.allure) {
    const written = await writeAllureResults(values.allure, results, runDir, new RunFolder(runDir).readManifest());
    console.log(`allure: ${values.allure} (${written} results; render: npx allure generate ${values.allure} -o allure-report)`);
  }
}

type RunValues = NonNullable<ReturnType<typeof parseCommand<typeof OPTIONS>>>['values'];

/** A run as its flags decide it, checked but not started: no folder locked, no worker running.
 * The CLI's `run` executes it at once; suites/export-sweep.test.ts plans from SWEEP_ARGS the same way,
 * so both entry points share every flag and default. */
export interface RunPlan {
  values: RunValues;
  selection: Selection;
  runDir: string;
  /** Every job of the run folder once it is complete (a resumed run's finished ones too). */
  jobs: Job[];
  catalog: CatalogEntry[];
  replay?: { seed: number; path?: string };
}

/** The plan for ``args`` (run's flags), or undefined when --help was asked for (the usage is printed).
 * Throws a UsageError for any bad flag. */
export async function planRun(args: string[]): Promise<RunPlan | undefined> {
  const parsed = parseCommand(args, RUN_USAGE, OPTIONS);
  if (!parsed) return undefined;
  const { values, positionals } = parsed;
  // every number is checked before a folder is locked or a worker started
  positiveInt(values.jobs, '--jobs');
  positiveInt(values.threads, '--threads');
  positiveInt(values.timeout, '--timeout');
  positiveInt(values['max-memory'], '--max-memory');
  parseRecycleAfter(values['recycle-after']);
  nonNegativeInt(values.shapes, '--shapes');
  seedInt(values.seed, '--seed');
  usePins(values.pins);
  const replay = values.replay ? parseReplay(values.replay) : undefined;
  // the skip lists are checked against the catalog on every run, so it is always at hand
  const catalog = await loadCatalog();
  if (values.resume) {
    // a folder that is not a run is named as such, and gets no lock file
    const manifest = new RunFolder(values.resume).readManifest();
    return { values, selection: manifest.selection, runDir: values.resume, jobs: manifestJobs(manifest), catalog, replay };
  }
  const picked = await selectEntries({ ...values, pattern: positionals[0] }, catalog);
  const selection: Selection = {
    models: picked.models,
    backends: list(values.backends, '--backends') ?? [...BACKENDS],
    modes: (list(values.modes, '--modes') ?? MODES) as Mode[],
    shapes: nonNegativeInt(values.shapes, '--shapes') ?? 10,
    seed: replay?.seed ?? seedInt(values.seed, '--seed') ?? Math.floor(Math.random() * 0x7fffffff),
    shard: values.shard ? parseShard(values.shard) : undefined,
    probeSkips: values['probe-skips'],
    implementation: parseImplementation(values.implementation),
  };
  const runDir = values.out ?? join(REPO_ROOT, 'reports', new Date().toISOString().replace(/[:.]/g, '-'));
  return { values, selection, runDir, jobs: selectionJobs(selection), catalog, replay };
}

/** Runs a plan into its run folder under the folder's lock, prints the matrix and findings, writes
 * the dashboard (and --junit, --allure); the exit code: 1 when a job failed that no entry expects. */
export async function executeRun(plan: RunPlan): Promise<number> {
  const { values, runDir } = plan;
  const folder = new RunFolder(runDir);
  // the lock first: two `run --out DIR` at once would both find no run there, and a second resume
  // must not see the same jobs as missing
  const held = folder.lock(values.resume ? 'run --resume' : 'run --out');
  let jobs: Job[];
  let selection = plan.selection;
  try {
    if (values.resume) {
      const manifest = folder.readManifest();
      selection = manifest.selection;
      jobs = folder.missingJobs();
      for (const note of folder.readResults().notes) console.warn(`export-sweep: ${note}`);
      console.log(`export-sweep: resuming ${runDir}: ${jobs.length} of ${manifest.jobs.length} jobs have no result yet`);
    } else {
      if (folder.exists()) throw new UsageError(`${runDir} already holds a run; use --resume ${runDir} to finish it, or another --out`);
      jobs = plan.jobs;
    }
    return await sweepInto(runDir, jobs, selection, plan.catalog, values, plan.replay);
  } finally {
    held.release();
  }
}

export async function runCommand(args: string[]): Promise<number> {
  const plan = await planRun(args);
  return plan ? executeRun(plan) : 0;
}

async function sweepInto(
  runDir: string, jobs: Job[], selection: Selection, catalog: CatalogEntry[], values: RunValues, replay: { seed: number; path?: string } | undefined,
): Promise<number> {
  const skipLists = loadSkipLists(undefined, catalog);
  const sourceContext = { catalog, overrides: loadTinyOverrides(), hubUrl: values['hub-url'], trustRemoteCode: values['trust-remote-code'] };
  const workers = Math.max(1, Math.min(positiveInt(values.jobs, '--jobs') ?? availableParallelism(), jobs.length));
  const timeout = positiveInt(values.timeout, '--timeout');
  const progress = new Progress();
  const shard = selection.shard ? ` shard ${selection.shard.index}/${selection.shard.count},` : '';
  const peer = selection.implementation ? ` ${selection.implementation}'s exporters,` : '';
  console.log(`export-sweep: ${jobs.length} jobs (${selection.models.length} models,${shard}${peer} fuzz ${selection.shapes} shapes, seed ${selection.seed}) on ${workers} workers -> ${runDir}`);
  const options: SweepOptions = {
    jobs, runDir, selection, workers, skipLists, probeSkips: selection.probeSkips, implementation: selection.implementation,
    jobTimeoutMs: timeout && timeout * 1000,
    maxMemoryMb: positiveInt(values['max-memory'], '--max-memory'),
    threads: positiveInt(values.threads, '--threads'),
    trustRemoteCode: values['trust-remote-code'],
    artifactCache: !values['no-artifact-cache'],
    recycleAfterJobs: parseRecycleAfter(values['recycle-after']),
    fuzz: { numRuns: selection.shapes, seed: selection.seed, path: replay?.path, replay: Boolean(replay) },
    resolveModel: resolveModelFrom(sourceContext),
    onResult: (result, done, total) => progress.update(result, done, total),
  };
  const run = await runSweep(options);
  const { results: all, notes } = new RunFolder(runDir).readResults();
  for (const note of notes) console.warn(`export-sweep: ${note}`);
  console.log(`\n${renderTable(all, { colour: process.stdout.isTTY && !process.env.NO_COLOR, runDir })}${summary(all, runDir).map((l) => `\n${l}`).join('')}\n\nresults: ${run.resultsPath} (${(run.wallMs / 1000).toFixed(1)} s)\ndashboard: ${writeRunReport(runDir).index}`);
  await writeOtherReports(values, all, runDir);
  return all.some(isFailure) ? 1 : 0;
}
