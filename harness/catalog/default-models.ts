// The default model set as data: each entry a tiny config the worker turns into a real checkpoint.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SelectionError } from '../sweep/selection-error.js';

export interface ModelEntry {
  id: string;
  class: string;
  model_type: string;
  task: string;
  seed: number;
  config: Record<string, unknown>;
  /** A model source (`hub:`, `synthetic:`, `local:`) instead of a tiny config of the default set. */
  source?: string;
  /** The class generates text (the catalog's flag): its sweeps add `generate` jobs. */
  generative?: boolean;
}

export const DEFAULT_MODELS_PATH = fileURLToPath(new URL('./default-models.json', import.meta.url));

export function loadModelEntries(path = DEFAULT_MODELS_PATH): ModelEntry[] {
  const data = JSON.parse(readFileSync(path, 'utf8')) as { models?: unknown };
  if (!Array.isArray(data.models)) throw new Error(`${path}: expected {"models": [...]}`);
  const seen = new Set<string>();
  return data.models.map((raw, index) => {
    const entry = raw as Partial<ModelEntry>;
    for (const key of ['id', 'class', 'model_type', 'task'] as const) {
      if (typeof entry[key] !== 'string') throw new Error(`${path}: models[${index}] lacks string '${key}'`);
    }
    if (seen.has(entry.id!)) throw new Error(`${path}: models[${index}] repeats id '${entry.id}'`);
    seen.add(entry.id!);
    return { seed: 0, config: {}, ...entry } as ModelEntry;
  });
}

/** Entries whose id or class matches one of ``names`` (exact, case-insensitive); unknown names are an error. */
export function selectModels(entries: ModelEntry[], names?: string[]): ModelEntry[] {
  if (!names?.length) return entries;
  const wanted = names.map((n) => n.toLowerCase());
  const unknown = wanted.filter((n) => !entries.some((e) => e.id.toLowerCase() === n || e.class.toLowerCase() === n));
  if (unknown.length) {
    throw new SelectionError(`unknown model(s) ${unknown.join(', ')}; known: ${entries.map((e) => e.id).join(', ')}`);
  }
  return entries.filter((e) => wanted.includes(e.id.toLowerCase()) || wanted.includes(e.class.toLowerCase()));
}
