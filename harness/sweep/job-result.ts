import type { LeafComparison } from '../compare/compare.js';
import type { Mode, Shape } from './jobs.js';

export type JobStatus = 'pass' | 'mismatch' | 'export-error' | 'runtime-error' | 'crashed' | 'timeout' | 'skipped';

export interface ShapeCheck {
  shape: Shape;
  ok: boolean;
  maxAbsError: number;
  maxRelError: number;
  /** Only the leaves that failed, to keep results small. */
  failures: LeafComparison[];
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
  durationsMs: { load?: number; export?: number; eager?: number; run?: number; total: number };
  artifactBytes?: number;
  maxAbsError?: number;
  maxRelError?: number;
  shapes: ShapeCheck[];
  /** First lines of the error, and the worker's stderr tail for crashes and timeouts. */
  error?: string;
  stderrTail?: string;
  finishedAt: string;
}
