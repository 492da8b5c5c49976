// Per-architecture tiny-config overrides are data; the loader rejects entries it cannot apply,
// naming the file and the key.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const TINY_OVERRIDES_PATH = fileURLToPath(new URL('./tiny-config-overrides.json', import.meta.url));

export type TinyOverrides = Record<string, Record<string, unknown>>;

export function loadTinyOverrides(path = TINY_OVERRIDES_PATH, knownModelTypes?: Set<string>): TinyOverrides {
  const data = JSON.parse(readFileSync(path, 'utf8')) as { overrides?: Record<string, unknown> };
  if (!data.overrides || typeof data.overrides !== 'object') throw new Error(`${path}: expected {"overrides": {model_type: {...}}}`);
  const overrides: TinyOverrides = {};
  for (const [modelType, value] of Object.entries(data.overrides)) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${path}: overrides.${modelType} must be an object of config fields`);
    if (knownModelTypes && !knownModelTypes.has(modelType)) {
      throw new Error(`${path}: overrides.${modelType}: no model type '${modelType}' in the pinned transformers; fix the key or remove the entry`);
    }
    if (typeof (value as Record<string, unknown>).$why !== 'string') throw new Error(`${path}: overrides.${modelType} lacks "$why", the reason the generic rules fail`);
    const { $why: _why, ...fields } = value as Record<string, unknown>;
    overrides[modelType] = fields;
  }
  return overrides;
}
