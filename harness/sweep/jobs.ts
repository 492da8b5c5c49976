// A selection (models x backends x modes) becomes a flat list of jobs, each one export to check.
import type { ModelEntry } from '../catalog/default-models.js';
import { join } from 'node:path';
import type { Padding } from '../fuzz/arbitraries.js';
import { SelectionError } from './selection-error.js';

/** static and dynamic: one export checked against eager; generate: the generation components
 * exported and a greedy loop over them checked against eager generate (generative models only). */
export type Mode = 'static' | 'dynamic' | 'generate';
export const BACKENDS = ['dynamo', 'onnx', 'executorch'] as const;
export const MODES: readonly Mode[] = ['static', 'dynamic', 'generate'];

export interface Job {
  id: string;
  model: ModelEntry;
  backend: string;
  mode: Mode;
}

/** Input sizes a job is checked at; fuzzed cases also vary the padding and the values' seed. */
export interface Shape { batch: number; seq: number; padding?: Padding; seed?: number }
/** The traced sample: not 1 along any dim, since torch.export specialises dims of size 0 and 1. */
export const SAMPLE_SHAPE: Shape = { batch: 2, seq: 7 };

export function expandJobs(models: ModelEntry[], backends: readonly string[], modes: readonly Mode[]): Job[] {
  const unknown = backends.filter((b) => !(BACKENDS as readonly string[]).includes(b));
  if (unknown.length) throw new SelectionError(`unknown backend(s) ${unknown.join(', ')}; known: ${BACKENDS.join(', ')}`);
  const badModes = modes.filter((m) => !MODES.includes(m));
  if (badModes.length) throw new SelectionError(`unknown mode(s) ${badModes.join(', ')}; use ${MODES.join(', ')}`);
  return models.flatMap((model) =>
    backends.flatMap((backend) => modes
      .filter((mode) => mode !== 'generate' || model.generative)
      .map((mode) => ({ id: `${model.id}/${backend}/${mode}`, model, backend, mode }))),
  );
}

/** FNV-1a: a hash of a job id that is the same on every machine and Node version. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** Each job fuzzes with its own seed derived from the run's, so one job replays without the others. */
export function jobSeed(runSeed: number, jobId: string): number {
  return ((stableHash(jobId) ^ runSeed) >>> 0) & 0x7fffffff;
}

export interface Shard { index: number; count: number }

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || index < 1 || index > count) throw new SelectionError(`--shard '${text}' must be i/n with 1 <= i <= n, e.g. 1/4`);
  return { index, count };
}

/** Where a job keeps its inputs, outputs, artifact and repro files inside the run folder's ``jobs/``. */
export const jobWorkDir = (workDir: string, jobId: string) => join(workDir, jobId.replaceAll('/', '__'));
