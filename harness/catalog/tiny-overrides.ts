// Per-architecture tiny-config overrides: the ``tinyConfig`` of the architecture rows
// (harness/architectures/), checked there; here also against the pinned transformers' model types.
import { ARCHITECTURES_PATH, ArchitectureError, loadArchitectures, jsonLines, tinyConfigOverrides } from '../architectures/architectures.js';

export type TinyOverrides = Record<string, Record<string, unknown>>;

/** Every row's ``tinyConfig`` without its ``$why``; a row keyed by a model type that
 * ``knownModelTypes`` lacks is an error naming the row. */
export function loadTinyOverrides(path = ARCHITECTURES_PATH, knownModelTypes?: Set<string>): TinyOverrides {
  const architectures = loadArchitectures(path);
  const overrides = tinyConfigOverrides(architectures);
  if (knownModelTypes) {
    const lines = jsonLines(architectures.text);
    const unknown = Object.keys(overrides).filter((type) => !knownModelTypes.has(type));
    if (unknown.length) {
      throw new ArchitectureError(unknown.map((type) => `${architectures.file}:${lines.get(`rows.${type}`)}: rows.${type}.tinyConfig: no model type '${type}' in the pinned transformers; fix the row's key or remove the row`).join('\n'));
    }
  }
  return overrides;
}
