// Conformance: every selected model exports with every backend and mode; each artifact matches eager
// leaf by leaf at the traced sample and, when dynamic, at fuzzed shapes it never saw (size 1 along
// each dynamic dim among them); ONNX files also agree between onnxruntime-node and Python
// onnxruntime; .pte files run in the ExecuTorch runtime; a generate job's loop gives eager's tokens
// at both prompt lengths. One test per job, so vitest's reporters (allure included) apply per job.
//
// A thin wrapper over `export-sweep run` (harness/cli/run-command.ts): the run is the CLI's, with its
// flags, defaults, run folder, dashboard and exit status; the tests are the checks the CLI does not
// make: the runtimes each backend ran in, the fuzzed-shape counts, where the generation loop ran and
// that eager's tokens vary, skips backed by an upstream link. Two ways to get the results:
//   SWEEP_RUN=DIR     check the run folder of an earlier `export-sweep run` job by job, sweeping
//                     nothing (bin/test sets it to CI's run of the README's first command: the whole
//                     default set, every backend and mode, no cache; then it also checks that the
//                     run is that sweep, with a result for every job and none reused).
//   SWEEP_ARGS='...'  run `export-sweep run SWEEP_ARGS` first (split as a shell splits words, quotes
//                     kept), then check it. The flags and their defaults are the CLI's own, parsed by
//                     its parser: `export-sweep run --help` lists them. Unset, the run is
//                     `export-sweep run` with no flags: the whole default set, every backend and mode,
//                     10 fuzzed shapes per dynamic job, a random seed (printed, and recorded in the
//                     manifest), one worker per core, the artifact and result caches on, the run folder
//                     reports/<timestamp>. For example:
//                       SWEEP_ARGS='--models tiny-bert,tiny-gpt2 --backends onnx --shapes 50 --seed 7'
//                       SWEEP_ARGS='--family llama --modes generate --no-artifact-cache --jobs 2'
//                       SWEEP_ARGS='--resume reports/2026-11-30T09-00-00-000Z'   (finish, then check it)
//                       SWEEP_ARGS='--models tiny-bert --junit out/junit.xml --allure out/allure-results'
// The selection decides what runs; vitest's -t only narrows which jobs' checks are shown. A bad flag
// fails the file at once with the CLI's one-line message. suites/generation.test.ts adds a
// vision-language model, a T5 that decodes varied tokens and the planted wrong-cache check.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelEntries } from '../harness/catalog/default-models.js';
import { splitArgs, UsageError } from '../harness/cli/args.js';
import { executeRun, planRun, type RunPlan } from '../harness/cli/run-command.js';
import { reportJobToAllure, throwIfBroken } from '../harness/report/allure-job.js';
import { RunFolder, selectionJobs } from '../harness/results/run-folder.js';
import { isExpected, type JobResult } from '../harness/sweep/job-result.js';
import { BACKENDS, MODES, SAMPLE_SHAPE, type Job } from '../harness/sweep/jobs.js';
import { GENERATE_PROMPT_LENGTHS, GENERATE_STEPS } from '../harness/sweep/run-generate-job.js';

const runDir = process.env.SWEEP_RUN;
const sweepArgs = process.env.SWEEP_ARGS;
for (const gone of ['SWEEP_MODELS', 'SWEEP_BACKENDS', 'SWEEP_MODES', 'SWEEP_SHAPES']) {
  if (process.env[gone] !== undefined) {
    throw new Error(`${gone} is no longer read: give the run's flags in SWEEP_ARGS, e.g. SWEEP_ARGS='--models tiny-bert --backends onnx --shapes 50' (\`export-sweep run --help\` lists them)`);
  }
}
if (runDir && sweepArgs !== undefined) throw new Error('SWEEP_RUN checks an existing run and SWEEP_ARGS sweeps a new one: set one of them');

/** The CLI's plan for SWEEP_ARGS; a usage error reads as the CLI's, naming the variable. */
async function planFromEnvironment(): Promise<RunPlan> {
  let plan: RunPlan | undefined;
  try {
    plan = await planRun(splitArgs(sweepArgs ?? '', 'SWEEP_ARGS'));
  } catch (error) {
    if (error instanceof UsageError) throw new Error(`SWEEP_ARGS='${sweepArgs}': ${error.message}; see \`export-sweep run --help\``);
    throw error;
  }
  if (!plan) throw new Error('SWEEP_ARGS asks for --help (printed above): give it the flags of a run');
  return plan;
}

const plan = runDir ? undefined : await planFromEnvironment();
const manifest = runDir ? new RunFolder(runDir).readManifest() : undefined;
const folder = new RunFolder(runDir ?? plan!.runDir);
const selection = manifest?.selection ?? plan!.selection;
const jobs = selectionJobs(selection);
const shapes = selection.shapes;
const backends = [...new Set(jobs.map((job) => job.backend))];

// The default tiny T5 and Whisper greedily repeat one token at both prompt lengths (T5 token 0,
// Whisper 22; their weight scale is sized for the static and dynamic comparisons' tolerance), so
// their generate jobs cannot show a wrong cache; suites/generation.test.ts checks a wider T5 instead.
// Every other generative model must decode varied tokens.
const REPEATS_ONE_TOKEN = new Set(['tiny-t5', 'tiny-whisper']);

// The sweep's own bound: every job at most its timeout (--timeout, default 600 s) one after the
// other, plus the checkpoints; the pool kills a job that overruns, so this only catches a hung harness.
const SWEEP_TIMEOUT_MS = Math.min(2 ** 31 - 1, (jobs.length + 1) * Number(plan?.values.timeout ?? 600) * 1000);

let stored: Map<string, JobResult> | undefined;
beforeAll(async () => {
  if (plan) await executeRun(plan); // its exit status is left out: each job's test gives that job's verdict
  stored = new Map(folder.results().map((r) => [r.id, r]));
}, plan ? SWEEP_TIMEOUT_MS : undefined);

function resultOf(job: Job): JobResult {
  const result = stored!.get(job.id);
  if (!result) throw new Error(`${folder.dir} has no result for ${job.id}: the sweep stopped before it (its log says why); finish it with export-sweep run --resume ${folder.dir}`);
  return result;
}

const detail = (r: JobResult) => `${r.id}: ${r.status} ${r.stage ?? ''} ${r.error ?? ''} max abs ${r.maxAbsError}`;

function expectGenerationConforms(job: Job, result: JobResult): void {
  const generation = result.generation!;
  expect(generation.runtime).toBe(job.backend === 'onnx' ? 'onnxruntime-node' : job.backend);
  expect(generation.prompts.map((p) => p.length)).toEqual(GENERATE_PROMPT_LENGTHS);
  for (const prompt of generation.prompts) {
    expect(prompt.exported.map((row) => row.length)).toEqual([GENERATE_STEPS, GENERATE_STEPS]);
    if (REPEATS_ONE_TOKEN.has(job.model.id)) continue;
    expect(Math.max(...prompt.eager.map((row) => new Set(row).size)), `${job.id}: eager repeats ${JSON.stringify(prompt.eager)}`).toBeGreaterThan(2);
  }
}

function expectConforms(job: Job, result: JobResult): void {
  if (isExpected(result)) {
    // a skip or an expected failure is only ever a skip-list entry with its upstream link
    expect(result.skip?.link).toMatch(/^https:\/\/github\.com\//);
    return;
  }
  expect(result.status, detail(result)).toBe('pass');
  if (job.mode === 'generate') {
    expectGenerationConforms(job, result);
    return;
  }
  expect(result.artifactBytes).toBeGreaterThan(0);
  expect(result.shapes[0].shape).toEqual(SAMPLE_SHAPE);
  const runtimes = result.shapes[0].checks.map((c) => [c.runtime, c.against]);
  if (job.backend === 'onnx') expect(runtimes).toEqual([['onnxruntime-node', 'eager'], ['onnxruntime-python', 'onnxruntime-node']]);
  if (job.backend === 'executorch') expect(runtimes).toEqual([['executorch', 'eager']]);
  if (job.mode === 'dynamic' && shapes > 0) {
    const fuzzed = result.shapes.slice(1).map((s) => s.shape);
    expect(result.fuzz?.ok).toBe(true);
    expect(fuzzed.length).toBeGreaterThanOrEqual(shapes);
    expect(fuzzed.some((s) => s.batch === 1)).toBe(true);
    if (fuzzed.some((s) => s.seq !== SAMPLE_SHAPE.seq)) expect(fuzzed.some((s) => s.seq === 1)).toBe(true);
  }
}

describe.runIf(manifest)('the CI sweep run', () => {
  it('is the README\'s first command: the whole default set, every backend and mode, fuzzed, uncached, one result per job', () => {
    const selection = manifest!.selection;
    expect(selection.models.map((m) => m.id)).toEqual(loadModelEntries().map((m) => m.id));
    expect(selection.backends).toEqual([...BACKENDS]);
    expect(selection.modes).toEqual([...MODES]);
    expect(selection.shard).toBeUndefined();
    expect(selection.shapes).toBeGreaterThan(0);
    const results = folder.results();
    // a reused result would be a warm cache answering for this commit
    expect(results.filter((r) => r.resultCached || r.artifactCached).map((r) => r.id)).toEqual([]);
    expect(results.map((r) => r.id).sort()).toEqual([...manifest!.jobs].sort());
  });
});

describe.each(backends)('%s', (backend) => {
  it.each(jobs.filter((job) => job.backend === backend).map((job) => [job.id, job] as const))('%s', async (_, job) => {
    const result = resultOf(job);
    await reportJobToAllure(job, result);
    throwIfBroken(result); // allure files a job that never reached the exporter as broken, not failed
    expectConforms(job, result);
  });
});
