// One declarative row per architecture (architectures.json, keyed by config.model_type): its tiny-
// config fixes, input-recipe overrides, tolerance overrides, expectations and default-set models, in
// the spirit of onnxscript's ops_test_data.py and PyTorch's OpInfo database. Generic rules stay the
// fallback: the Python shrinker and input recipes, harness/compare/tolerances.json; a row overrides
// them for its own architecture. This loader checks the rows' shape and names the row, the field and
// the fix; skip-list.ts checks the expectations (classes against the catalog, pins, patterns) and
// tolerance.ts applies the tolerance rows. Format: docs/architectures.md.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelEntry } from '../catalog/default-models.js';

export const ARCHITECTURES_PATH = fileURLToPath(new URL('./architectures.json', import.meta.url));

export const ROW_FIELDS = ['why', 'tinyConfig', 'inputs', 'tolerance', 'expect', 'defaultModels'] as const;
/** The input-recipe knobs a row may set (sample_inputs.py reads them). */
export const INPUT_FIELDS = ['imageFrames', 'imageSize', 'patchLayout', 'minSequence', 'maxBatch', 'everyModality'] as const;
const TOLERANCE_FIELDS = ['backend', 'dtype', 'atol', 'rtol', 'scaleTol', 'reason'] as const;
const TOLERANCE_DTYPES = ['float16', 'bfloat16', 'float32', 'float64'];
const MODEL_FIELDS = new Set(['id', 'class', 'task', 'seed', 'generative', 'config']);

/** A tolerance row: as in tolerances.json, for one architecture when it sits in a row. */
export interface ToleranceRow { backend: string; dtype: string; atol: number; rtol: number; scaleTol: number; reason: string }

/** A default-set model as a row writes it: its model type is the row's key. */
export type DefaultModel = Omit<ModelEntry, 'model_type' | 'source'>;

export interface ArchitectureRow {
  why?: string;
  tinyConfig?: Record<string, unknown> & { $why: string };
  inputs?: {
    $why: string; imageFrames?: number | null; imageSize?: [number, number]; patchLayout?: 'flat' | 'image'; minSequence?: number;
    maxBatch?: number; everyModality?: boolean;
  };
  tolerance?: ToleranceRow[];
  /** Skip / xfail entries (skip-list.ts SkipEntry); ``class`` narrows, ``type`` widens. */
  expect?: Record<string, unknown>[];
  defaultModels?: DefaultModel[];
}

export interface Architectures {
  /** The file, as errors and skip references show it (relative to the working directory). */
  file: string;
  text: string;
  rows: Record<string, ArchitectureRow>;
}

export class ArchitectureError extends Error {}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const nonEmpty = (value: unknown): boolean => typeof value === 'string' && value.trim() !== '';

/** What is wrong with one tolerance row (tolerances.json or an architecture's), as sentences. */
export function toleranceProblems(row: Record<string, unknown>): string[] {
  const missing = TOLERANCE_FIELDS.filter((key) => row[key] === undefined);
  if (missing.length) return [`lacks '${missing[0]}'; every row needs ${TOLERANCE_FIELDS.slice(0, -1).join(', ')} and reason`];
  return (['atol', 'rtol', 'scaleTol'] as const)
    .filter((key) => typeof row[key] !== 'number' || !((row[key] as number) >= 0))
    .map((key) => `'${key}' must be a number >= 0, got ${JSON.stringify(row[key])}`);
}

function tinyConfigProblems(value: unknown): string[] {
  if (!isObject(value)) return ['must be an object of config fields (nested objects merge into sub-configs)'];
  return nonEmpty(value.$why) ? [] : ['lacks "$why": the reason the generic shrinker fails for this architecture'];
}

function inputsProblems(value: unknown): string[] {
  if (!isObject(value)) return [`must be an object of recipe overrides (${INPUT_FIELDS.join(', ')}) with "$why"`];
  const found = nonEmpty(value.$why) ? [] : ['lacks "$why": the reason the generic input recipe fails for this architecture'];
  for (const key of Object.keys(value)) {
    if (key !== '$why' && !(INPUT_FIELDS as readonly string[]).includes(key)) found.push(`unknown field "${key}"; the recipe reads ${INPUT_FIELDS.join(', ')}`);
  }
  const frames = value.imageFrames;
  if (frames !== undefined && frames !== null && !(Number.isInteger(frames) && (frames as number) >= 1)) {
    found.push(`"imageFrames" must be an integer >= 1 (frames per pixel_values sample) or null (plain images), got ${JSON.stringify(frames)}`);
  }
  const size = value.imageSize;
  if (size !== undefined && !(Array.isArray(size) && size.length === 2 && size.every((side) => Number.isInteger(side) && side >= 1))) {
    found.push(`"imageSize" must be [height, width], two integers >= 1 (the image size the processor produces), got ${JSON.stringify(size)}`);
  }
  const floor = value.minSequence;
  if (floor !== undefined && !(Number.isInteger(floor) && (floor as number) >= 2 && (floor as number) <= 64)) {
    found.push(`"minSequence" must be an integer from 2 to 64 (the shortest text the eager forward handles), got ${JSON.stringify(floor)}`);
  }
  const batch = value.maxBatch;
  if (batch !== undefined && !(Number.isInteger(batch) && (batch as number) >= 1 && (batch as number) <= 8)) {
    found.push(`"maxBatch" must be an integer from 1 to 8 (the largest batch the eager forward handles), got ${JSON.stringify(batch)}`);
  }
  if (value.everyModality !== undefined && value.everyModality !== true) {
    found.push(`"everyModality" must be true (feed every modality the forward takes) or left out, got ${JSON.stringify(value.everyModality)}`);
  }
  const layout = value.patchLayout;
  if (layout !== undefined && layout !== 'flat' && layout !== 'image') {
    found.push(`"patchLayout" must be "flat" (one vector per packed patch) or "image" ((channels, patch, patch) per patch), got ${JSON.stringify(layout)}`);
  }
  return found;
}

function toleranceListProblems(value: unknown): string[] {
  if (!Array.isArray(value) || !value.length) return ['must be a non-empty list of {backend, dtype, atol, rtol, scaleTol, reason} rows'];
  return value.flatMap((row, index) => {
    if (!isObject(row)) return [`[${index}] must be an object`];
    const found = toleranceProblems(row);
    if (row.dtype !== undefined && !TOLERANCE_DTYPES.includes(row.dtype as string)) found.push(`'dtype' must be one of ${TOLERANCE_DTYPES.join(', ')}`);
    return found.map((problem) => `[${index}] (${row.backend} ${row.dtype}): ${problem}`);
  });
}

function defaultModelProblems(value: unknown, seen: Map<string, string>, type: string): string[] {
  if (!Array.isArray(value) || !value.length) return ['must be a non-empty list of default-set models'];
  return value.flatMap((model, index) => {
    if (!isObject(model)) return [`[${index}] must be an object`];
    const found: string[] = [];
    for (const key of ['id', 'class', 'task']) if (!nonEmpty(model[key])) found.push(`lacks string '${key}'`);
    if (model.seed !== undefined && !Number.isInteger(model.seed)) found.push("'seed' must be an integer");
    if (model.generative !== undefined && typeof model.generative !== 'boolean') found.push("'generative' must be true or false");
    if (model.config !== undefined && !isObject(model.config)) found.push("'config' must be an object of config fields");
    for (const key of Object.keys(model)) if (!MODEL_FIELDS.has(key)) found.push(`unknown field "${key}"; a model has ${[...MODEL_FIELDS].join(', ')} (its model type is the row's key)`);
    const other = seen.get(model.id as string);
    if (other !== undefined) found.push(`repeats id '${model.id}' (also in row ${other}); ids must be unique`);
    seen.set(model.id as string, type);
    return found.map((problem) => `[${index}]${nonEmpty(model.id) ? ` (${model.id})` : ''}: ${problem}`);
  });
}

function rowProblems(type: string, row: unknown, seen: Map<string, string>): string[] {
  if (!isObject(row)) return ['must be an object of row fields'];
  const found: string[] = [];
  for (const key of Object.keys(row)) {
    if (!(ROW_FIELDS as readonly string[]).includes(key)) found.push(`unknown field "${key}"; a row has ${ROW_FIELDS.join(', ')}`);
  }
  if (!Object.keys(row).length) found.push(`is empty; give it at least one of ${ROW_FIELDS.join(', ')} or remove it`);
  if (row.why !== undefined && !nonEmpty(row.why)) found.push('"why" must be a non-empty sentence');
  const field = (key: string, problems: string[]) => found.push(...problems.map((p) => `${key}${p.startsWith('[') ? '' : ': '}${p}`));
  if (row.tinyConfig !== undefined) field('tinyConfig', tinyConfigProblems(row.tinyConfig));
  if (row.inputs !== undefined) field('inputs', inputsProblems(row.inputs));
  if (row.tolerance !== undefined) field('tolerance', toleranceListProblems(row.tolerance));
  if (row.expect !== undefined && (!Array.isArray(row.expect) || !row.expect.length || !row.expect.every(isObject))) {
    found.push('expect: must be a non-empty list of skip/xfail entries (docs/architectures.md)');
  }
  if (row.defaultModels !== undefined) field('defaultModels', defaultModelProblems(row.defaultModels, seen, type));
  return found;
}

/** The line each object or array of a JSON text starts on, by its dotted path (``rows.gpt2``,
 * ``rows.gpt2.expect.0``, ``entries.3``), found by scanning the text (JSON.parse keeps no positions). */
export function jsonLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  // one frame per open container: its path segment, the last key read (object) or commas seen (array)
  const frames: { kind: 'object' | 'array'; segment: string; key?: string; commas: number }[] = [];
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const top = frames.at(-1);
    if (ch === '\n') line += 1;
    else if (ch === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (top?.kind === 'object' && /^\s*:/.test(text.slice(end + 1, end + 40))) top.key = JSON.parse(text.slice(i, end + 1)) as string;
      i = end; // a JSON string holds no raw newline
    } else if (ch === ',' && top?.kind === 'array') top.commas += 1;
    else if (ch === '{' || ch === '[') {
      const segment = !top ? '' : top.kind === 'object' ? top.key! : String(top.commas);
      frames.push({ kind: ch === '{' ? 'object' : 'array', segment, commas: 0 });
      lines.set(frames.slice(1).map((f) => f.segment).join('.'), line);
    } else if (ch === '}' || ch === ']') frames.pop();
  }
  return lines;
}

/** Parses and checks the rows; throws ArchitectureError listing every problem as file:line: row, field. */
export function parseArchitectures(text: string, file: string): Architectures {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ArchitectureError(`${file}: not valid JSON (${(error as Error).message}); fix the syntax.`);
  }
  if (!isObject(data) || !isObject(data.rows)) throw new ArchitectureError(`${file}: expected {"rows": {"<model_type>": {...}}} at the top level.`);
  for (const key of Object.keys(data)) {
    if (!['rows', '$comment', '$schema'].includes(key)) throw new ArchitectureError(`${file}: unknown top-level field "${key}"; rows go under "rows"`);
  }
  const lines = jsonLines(text);
  const seen = new Map<string, string>();
  const errors = Object.entries(data.rows).flatMap(([type, row]) =>
    rowProblems(type, row, seen).map((problem) => `${file}:${lines.get(`rows.${type}`) ?? 1}: rows.${type}.${problem}`));
  if (errors.length) throw new ArchitectureError(`invalid architecture rows:\n  ${errors.join('\n  ')}`);
  return { file, text, rows: data.rows as Record<string, ArchitectureRow> };
}

let cached: Architectures | undefined;

/** The rows of ``path`` (default: harness/architectures/architectures.json, read once). */
export function loadArchitectures(path = ARCHITECTURES_PATH): Architectures {
  if (path === ARCHITECTURES_PATH && cached) return cached;
  const file = relative(process.cwd(), path) || path;
  const loaded = parseArchitectures(readFileSync(path, 'utf8'), file);
  if (path === ARCHITECTURES_PATH) cached = loaded;
  return loaded;
}

/** The default sweep set in row order, each model with its row's type, spelt as model entries always
 * were (seed 0 and an empty config by default; the key order is part of the checkpoint key). */
export function defaultModels(architectures = loadArchitectures()): ModelEntry[] {
  return Object.entries(architectures.rows).flatMap(([type, row]) => (row.defaultModels ?? []).map((model) => {
    const { id, class: cls, task, seed, generative, config } = model;
    const written = { id, class: cls, model_type: type, task, seed, generative, config };
    const entry = Object.fromEntries(Object.entries(written).filter(([, value]) => value !== undefined));
    return { seed: 0, config: {}, ...entry } as ModelEntry;
  }));
}

/** Every row's tiny-config fixes, ``$why`` left out: what the worker merges over the generic shrinker. */
export function tinyConfigOverrides(architectures = loadArchitectures()): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(architectures.rows).filter(([, row]) => row.tinyConfig).map(([type, row]) => {
    const { $why: _why, ...fields } = row.tinyConfig!;
    return [type, fields];
  }));
}

/** What decides a tiny checkpoint and its inputs beyond the worker's code: the rows' tiny-config and
 * input overrides. The default models are not in it: each model's own entry is in its checkpoint key,
 * so editing one default model rebuilds that model only. */
export function recipeData(architectures = loadArchitectures()): unknown {
  return Object.entries(architectures.rows).filter(([, row]) => row.tinyConfig || row.inputs)
    .map(([type, row]) => [type, row.tinyConfig ?? null, row.inputs ?? null]);
}

/** What decides a cached pass beyond the checking code: the rows' tolerances. Expectations are not in
 * it: a sweep applies them to a result after the cache lookup (sweep.ts), so a stored result never
 * depends on one, and editing a skip entry reuses every result. */
export function toleranceData(architectures = loadArchitectures()): unknown {
  return Object.entries(architectures.rows).filter(([, row]) => row.tolerance).map(([type, row]) => [type, row.tolerance]);
}
