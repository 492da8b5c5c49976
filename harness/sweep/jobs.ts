// A selection (models x backends x modes) becomes a flat list of jobs, each one export to check.
import type { ModelEntry } from '../catalog/default-models.js';

export type Mode = 'static' | 'dynamic';
export const BACKENDS = ['dynamo', 'onnx', 'executorch'] as const;
export const MODES: readonly Mode[] = ['static', 'dynamic'];

export interface Job {
  id: string;
  model: ModelEntry;
  backend: string;
  mode: Mode;
}

/** Input sizes (batch, sequence) a job is checked at: the traced sample first, then, for a dynamic
 * export, sizes it never saw, including 1 along each dim (0/1 specialisation bugs hide there). */
export interface Shape { batch: number; seq: number }
export const SAMPLE_SHAPE: Shape = { batch: 2, seq: 7 };
export const DYNAMIC_CHECK_SHAPES: Shape[] = [{ batch: 3, seq: 11 }, { batch: 1, seq: 1 }];

export function expandJobs(models: ModelEntry[], backends: readonly string[], modes: readonly Mode[]): Job[] {
  const unknown = backends.filter((b) => !(BACKENDS as readonly string[]).includes(b));
  if (unknown.length) throw new Error(`unknown backend(s) ${unknown.join(', ')}; known: ${BACKENDS.join(', ')}`);
  const badModes = modes.filter((m) => !MODES.includes(m));
  if (badModes.length) throw new Error(`unknown mode(s) ${badModes.join(', ')}; use static and/or dynamic`);
  return models.flatMap((model) =>
    backends.flatMap((backend) => modes.map((mode) => ({ id: `${model.id}/${backend}/${mode}`, model, backend, mode }))),
  );
}
