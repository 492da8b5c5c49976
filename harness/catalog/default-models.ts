// The default model set: the ``defaultModels`` of the architecture rows (harness/architectures/),
// each entry a tiny config the worker turns into a real checkpoint.
import { ARCHITECTURES_PATH, defaultModels, loadArchitectures } from '../architectures/architectures.js';
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

/** The default set, in row order (``path``: an architectures file, the repository's by default). */
export function loadModelEntries(path = ARCHITECTURES_PATH): ModelEntry[] {
  return defaultModels(loadArchitectures(path));
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
