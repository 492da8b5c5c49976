import type { LeafComparison } from '../compare/compare.js';
import type { FuzzSummary } from '../fuzz/shape-fuzz.js';
import type { TokenMatch } from '../generation/token-match.js';
import type { SkipRef } from '../skips/skip-list.js';
import type { RemoteCode } from '../worker/protocol.js';
import type { Job, Mode, Shape } from './jobs.js';

/**
 * What a job's verdict means (README, "Reading a result"):
 * - pass: every output of the artifact matches eager within tolerance, at every shape checked.
 * - partial: it passed, but on fewer inputs than the model's forward takes (a modality the recipe
 *   does not feed yet, e.g. a VLM fed text only): the untested part is named in ``inputsNotFed``.
 * - mismatch / runtimes-disagree / export-error / runtime-error: the exporter or a runtime is wrong.
 * - broken: the job never reached the exporter (the checkpoint does not build or load, no input
 *   recipe fits, eager itself fails, a package the pins lack, no worker started to run it), or the
 *   harness's own code threw past the stages (a fuzzer error on a live worker): a harness problem,
 *   never an export failure.
 * - crashed / timeout: the worker died or hung; the stderr tail says where.
 * - skipped: a skip-list entry (with its upstream link) kept the job from running.
 * - xfail: an xfail entry expected the job to fail with its error pattern, and it did; ``probed``
 *   holds the failing status. A failure with another error keeps its own status (a regression).
 * - xpass: an xfail entry expected a failure, and the job passed: the entry is stale. A failure of
 *   the run, as pytest's strict xfail, so a fix upstream is noticed and the entry removed.
 */
export type JobStatus =
  | 'pass' | 'partial' | 'mismatch' | 'runtimes-disagree' | 'export-error' | 'runtime-error' | 'broken' | 'crashed' | 'timeout' | 'skipped'
  | 'xfail' | 'xpass';

/** The ladder a job climbs, in order; ``JobResult.stages`` lists the rungs it reached. ``load`` is
 * loading the artifact into its runtime; the model's own load is part of ``checkpoint``. */
export const STAGES = ['checkpoint', 'inputs', 'eager', 'export', 'load', 'run', 'compare', 'fuzz', 'generate'] as const;
export type Stage = typeof STAGES[number];
/** A failure at one of these never reached the exporter: the job is ``broken``, not an export failure. */
export const PRE_EXPORT_STAGES: readonly Stage[] = ['checkpoint', 'inputs', 'eager'];

/** One link of an exception's cause chain (Python ``__cause__`` / ``__context__``), outermost first. */
export interface ErrorCause { type: string; message: string }

/** Everything known about a failure, kept whole (the report shows it; ``diff`` classes it by ``type``). */
export interface ErrorInfo {
  /** The rung that failed (a STAGES entry, or ``run:<runtime>`` for one runtime of a backend). */
  stage: string;
  /** The exception type: Python's (``RuntimeError``), or the harness's (``WorkerTimeoutError``). */
  type: string;
  message: string;
  traceback?: string;
  causes?: ErrorCause[];
  /** The worker's native stderr tail (C++ asserts, XNNPACK messages, faulthandler stacks). */
  stderrTail?: string;
}

/** One runtime's outputs against eager (the first runtime) or against the first runtime (the others). */
export interface RuntimeCheck {
  runtime: string;
  against: string;
  ok: boolean;
  maxAbsError: number;
  maxRelError: number;
  /** Only the leaves that failed, to keep results small. */
  failures: LeafComparison[];
  /** Every leaf's error, at the traced sample only (the per-model report lists them). */
  leaves?: { name: string; maxAbsError: number; maxRelError: number }[];
}

export interface ShapeCheck {
  shape: Shape;
  /** The first runtime against eager: what the job's status and errors report. */
  ok: boolean;
  maxAbsError: number;
  maxRelError: number;
  checks: RuntimeCheck[];
}

/** A generate job's loop at one prompt length: new tokens [row][step], eager's and the artifact's. */
export interface GenerationPromptCheck extends TokenMatch {
  length: number;
  eager: number[][];
  exported: number[][];
}

export interface GenerationCheck {
  steps: number;
  /** Where the loop ran: onnxruntime-node (in TypeScript) or the backend's Python runtime. */
  runtime: string;
  prompts: GenerationPromptCheck[];
}

export interface JobResult {
  id: string;
  model: string;
  modelClass: string;
  backend: string;
  mode: Mode;
  status: JobStatus;
  /** The step that failed: a STAGES entry, or ``run:<runtime>``. */
  stage?: string;
  /** The STAGES rungs this job reached, in order (the failing one included). */
  stages?: Stage[];
  /** The failure whole: type, message, traceback, cause chain, native stderr. */
  errorInfo?: ErrorInfo;
  /** The input names the job fed the model (from the recipe). */
  inputsFed?: string[];
  /** Inputs the model's forward takes for a modality the recipe did not feed: the job is ``partial``. */
  inputsNotFed?: string[];
  /** Content hash of the checkpoint the job ran on (config and weights, or the hub commit). */
  modelContent?: string;
  /** The model class was the repo's own code (auto_map, run only under --trust-remote-code); then
   * ``modelClass`` is ``remote:<module>.<Class>``. */
  remoteCode?: RemoteCode;
  /** Where the job's artifact lives (run folder, or the artifact cache when it was reused). */
  artifactPath?: string;
  /** A reused result: the run folder and time of the run that produced it. */
  reusedFrom?: { runDir: string; finishedAt: string };
  /** ``run`` is the first runtime's time, ``crossRun`` the other runtimes'. */
  durationsMs: {
    load?: number; export?: number; eager?: number; run?: number; crossRun?: number; fuzz?: number;
    /** Boundary cost: tensor-file reads and writes on both sides, and IPC overhead (round trips minus worker time). */
    tensorIo?: number; ipc?: number;
    total: number;
  };
  /** The export's time by library stage (trace, decompose, onnx_translate, onnx_optimize, lower,
   * to_executorch, other: the exporter's own work and saving), each without the stages it calls. */
  exportStagesMs?: Record<string, number>;
  artifactBytes?: number;
  /** The artifact came from the cache of an identical earlier job: no export ran. */
  artifactCached?: boolean;
  /** The whole result came from an identical earlier job that passed (result-cache.ts): nothing ran. */
  resultCached?: boolean;
  maxAbsError?: number;
  maxRelError?: number;
  shapes: ShapeCheck[];
  /** The dynamic-shape fuzzing of a dynamic job that passed at its sample: seed, cases, and the
   * smallest failing shape with the path that replays it. */
  fuzz?: FuzzSummary;
  /** A generate job's token comparison per prompt length. */
  generation?: GenerationCheck;
  /** The skip-list entry that covers this job: it skipped it, expected its failure (xfail), or,
   * under --probe-skips, it was probed for. */
  skip?: SkipRef;
  /** The job's skip-list entry is stale, since the job now passes: a probed skip (status ``pass``)
   * or an xfail entry (status ``xpass``). */
  staleSkip?: boolean;
  /** The status the job really got: a skipped job's under --probe-skips, an ``xfail`` job's failure. */
  probed?: JobStatus;
  /** An xfail entry covers the job, but it failed with an error the entry's pattern does not match:
   * a regression, reported with its own failing status and the entry named. */
  unexpectedError?: boolean;
  /** The onnx-disable-optimize entry this job was exported under (optimize=false). */
  workaround?: SkipRef;
  /** Whose exporter made the artifact, when not ours (e.g. 'upstream': transformers.exporters). */
  implementation?: string;
  /** Peak resident memory of the worker during the job, in MB, and which worker ran it. */
  peakRssMb?: number;
  workerPid?: number;
  /** First lines of the error, and the worker's stderr tail for crashes and timeouts. */
  error?: string;
  stderrTail?: string;
  finishedAt: string;
}

/** A job counts as failed unless it passed (partially, too), was skipped by a skip-list entry, or
 * failed as its xfail entry expects; ``broken`` is a failure of the harness, so a run with one still
 * exits 1, and so does ``xpass`` (strict: a stale entry must go). */
export const isFailure = (r: Pick<JobResult, 'status'>): boolean => !['pass', 'partial', 'skipped', 'xfail'].includes(r.status);

/** A skip-list entry accounts for the job's outcome: skipped, or failed as expected. */
export const isExpected = (r: Pick<JobResult, 'status'>): boolean => r.status === 'skipped' || r.status === 'xfail';

/** The job passed: ``partial`` too, since what it fed matched eager, and ``xpass`` (a pass its stale
 * xfail entry did not expect). */
export const passed = (r: Pick<JobResult, 'status'>): boolean => r.status === 'pass' || r.status === 'partial' || r.status === 'xpass';

/** The job ran and did not pass: every failure, expected (``xfail``) or not; its failing stage is
 * what the reports mark. Not ``xpass``, which passed, nor ``skipped``, which did not run. */
export const failedWhenRun = (r: Pick<JobResult, 'status'>): boolean => r.status !== 'skipped' && !passed(r);

/** The job reached the exporter: the jobs a backend's "reached" pass rate is taken over. */
export const reachedExporter = (r: Pick<JobResult, 'status'>): boolean => r.status !== 'broken' && r.status !== 'skipped';

/** What every result of ``job`` starts from, whoever makes it (a forward or generate job, a skip, the
 * pool after a crash); a job that loads its model adds the class it loaded and its remote code. */
export function baseResult(job: Job): Pick<JobResult, 'id' | 'model' | 'modelClass' | 'remoteCode' | 'backend' | 'mode'> {
  return { id: job.id, model: job.model.id, modelClass: job.model.class, backend: job.backend, mode: job.mode };
}
