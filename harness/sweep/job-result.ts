import type { LeafComparison } from '../compare/compare.js';
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
}

export interface ShapeCheck {
  shape: Shape;
  /** The first runtime against eager: what the job's status and errors report. */
  ok: boolean;
  maxAbsError: number;
  maxRelError: number;
  checks: RuntimeCheck[];
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
  durationsMs: { load?: number; export?: number; eager?: number; run?: number; crossRun?: number; total: number };
  artifactBytes?: number;
  maxAbsError?: number;
  maxRelError?: number;
  shapes: ShapeCheck[];
  /** First lines of the error, and the worker's stderr tail for crashes and timeouts. */
  error?: string;
  stderrTail?: string;
  finishedAt: string;
}
