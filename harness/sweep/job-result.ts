import type { LeafComparison } from '../compare/compare.js';
import type { FuzzSummary } from '../fuzz/shape-fuzz.js';
import type { TokenMatch } from '../generation/token-match.js';
import type { SkipRef } from '../skips/skip-list.js';
import type { Mode, Shape } from './jobs.js';

export type JobStatus =
  | 'pass' | 'mismatch' | 'runtimes-disagree' | 'export-error' | 'runtime-error' | 'crashed' | 'timeout' | 'skipped';

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
  /** The step that failed: load, eager, export, run or compare. */
  stage?: string;
  /** ``run`` is the first runtime's time, ``crossRun`` the other runtimes'. */
  durationsMs: {
    load?: number; export?: number; eager?: number; run?: number; crossRun?: number; fuzz?: number;
    /** Boundary cost: tensor-file reads and writes on both sides, and IPC overhead (round trips minus worker time). */
    tensorIo?: number; ipc?: number;
    total: number;
  };
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
  /** The skip-list entry that skipped this job (or, under --probe-skips, that it was probed for). */
  skip?: SkipRef;
  /** Under --probe-skips: the job's skip-list entry is stale, since the job now passes. */
  staleSkip?: boolean;
  /** Under --probe-skips: the status a skipped job got when run anyway. */
  probed?: JobStatus;
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

/** A job counts as failed unless it passed or was skipped by a skip-list entry. */
export const isFailure = (r: Pick<JobResult, 'status'>): boolean => r.status !== 'pass' && r.status !== 'skipped';
