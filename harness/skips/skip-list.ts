// The expectations: data, one entry per upstream bug and scope (model classes or model types, backends,
// modes, pin sets), each with the upstream issue that keeps it there. An entry either skips its jobs
// or expects them to fail with a given error (xfail), so a fix upstream shows as xpass. The
// export-skip entries live in the architecture rows (``expect``, harness/architectures/); a
// standalone list file ({"entries": [...]}, skip-lists/skip-list.schema.json) holds the
// onnx-disable-optimize workarounds and the lists tests write. The loader refuses an entry it cannot
// trust (no link, unknown class or type, bad scope or pattern) and says which file and line to fix,
// so a list cannot quietly grow into a way of hiding failures.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ARCHITECTURES_PATH, type Architectures, loadArchitectures, jsonLines } from '../architectures/architectures.js';
import type { CatalogEntry } from '../catalog/catalog.js';
import { REPO_ROOT } from '../python/paths.js';
import { pinSetName } from '../python/pin-set.js';
import { BACKENDS } from '../sweep/jobs.js';

export const SKIP_LISTS = ['export-skip', 'onnx-disable-optimize'] as const;
export type SkipListName = (typeof SKIP_LISTS)[number];
export const SKIP_SCOPES = ['static', 'dynamic', 'generate'] as const;
export type SkipScope = (typeof SKIP_SCOPES)[number];
/** ``skip``: the job is not run. ``xfail``: it runs, and is expected to fail with ``error``; a pass is
 * ``xpass`` (the entry is stale), another error keeps the job's own failing status. */
export const EXPECTATION_KINDS = ['skip', 'xfail'] as const;
export type ExpectationKind = (typeof EXPECTATION_KINDS)[number];

/** An entry as written in the file (README of skip-lists/). */
export interface SkipEntry {
  kind?: ExpectationKind;
  /** Exactly one of ``class`` (model classes) and ``type`` (config.model_type values). */
  class?: string | string[];
  type?: string | string[];
  backends: 'all' | string[];
  modes: 'all' | SkipScope[];
  /** xfail only: a regular expression searched in the failure's ``Type: message``. */
  error?: string;
  reason: string;
  todo: string;
  link: string;
  added: string;
  /** The pin sets the entry applies under: one name, a list, or ``all``. */
  pins: string | string[];
}

/** Where a job's expectation came from, carried in its result so reports can link upstream.
 * ``class`` or ``type``: what the entry names (older results have ``class`` only, and no ``kind``). */
export interface SkipRef {
  list: SkipListName;
  file: string;
  line: number;
  kind?: ExpectationKind;
  class?: string;
  type?: string;
  error?: string;
  reason: string;
  todo: string;
  link: string;
}

export interface LoadedEntry extends SkipEntry {
  kind: ExpectationKind;
  list: SkipListName;
  file: string;
  line: number;
  /** ``class`` / ``type`` / ``pins`` as lists (``pins`` 'all' stays as is). */
  classes?: string[];
  types?: string[];
  pinSets: 'all' | string[];
  errorPattern?: RegExp;
}

/** What the loader checks names against: the catalog's classes and every model type mapping to one. */
export type KnownModels = Pick<CatalogEntry, 'class' | 'model_types'>[];

/** The job fields an entry is matched on. */
export interface MatchedJob { model: { class: string; model_type?: string }; backend: string; mode: string }

export class SkipListError extends Error {}

const UPSTREAM_LINK = /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+\/(issues|pull)\/\d+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const FIELDS = new Set(['kind', 'class', 'type', 'backends', 'modes', 'error', 'reason', 'todo', 'link', 'added', 'pins']);

/** A non-empty string, or a non-empty list of them, as a list; undefined for anything else. */
function names(value: unknown): string[] | undefined {
  const list = typeof value === 'string' ? [value] : value;
  return Array.isArray(list) && list.length && list.every((v) => typeof v === 'string' && v.trim() !== '') ? list as string[] : undefined;
}

function scopeProblems(entry: Record<string, unknown>, known: KnownModels | undefined): string[] {
  if ((entry.class === undefined) === (entry.type === undefined)) {
    return ['needs exactly one of "class" (model classes) and "type" (config.model_type values)'];
  }
  const key = entry.class !== undefined ? 'class' : 'type';
  const listed = names(entry[key]);
  if (!listed) return [`"${key}" must be a name or a non-empty list of names`];
  if (!known) return [];
  const knownNames = new Set(key === 'class' ? known.map((e) => e.class) : known.flatMap((e) => e.model_types));
  return listed.filter((name) => !knownNames.has(name)).map((name) => (key === 'class'
    ? `class '${name}' is not a model class of the pinned transformers (see \`export-sweep list\`)`
    : `type '${name}' is not a model type of the pinned transformers (see \`export-sweep list --family ${name}\`)`));
}

function expectationProblems(entry: Record<string, unknown>, list: SkipListName): string[] {
  const kind = entry.kind ?? 'skip';
  if (list === 'onnx-disable-optimize') {
    return ['kind', 'error'].filter((key) => entry[key] !== undefined).map((key) => `"${key}" belongs to export-skip entries; onnx-disable-optimize entries are workarounds`);
  }
  if (!(EXPECTATION_KINDS as readonly unknown[]).includes(kind)) return [`"kind" must be one of ${EXPECTATION_KINDS.join(', ')} (default skip)`];
  if (kind === 'skip') return entry.error === undefined ? [] : ['"error" is the expected failure of an xfail entry; a skip entry does not run its job'];
  if (typeof entry.error !== 'string' || entry.error.trim() === '') return ['an xfail entry needs "error": a regular expression for the expected failure\'s "Type: message"'];
  try {
    new RegExp(entry.error);
  } catch (error) {
    return [`"error" is not a valid regular expression: ${(error as Error).message}`];
  }
  return [];
}

function pinProblems(entry: Record<string, unknown>): string[] {
  if (entry.pins === 'all') return [];
  const pins = names(entry.pins);
  if (!pins) return ['"pins" must name the pin sets the entry applies under: "baseline", a list of names, or "all"'];
  return pins.filter((name) => !existsSync(join(REPO_ROOT, 'pins', `${name}.txt`))).map((name) => `pin set '${name}' has no pins/${name}.txt`);
}

/** What an entry of a row (model type ``type``) may name: ``class`` narrows it to classes of the
 * row's type, ``type`` widens it to more types (the row's own among them), neither covers the type. */
function rowScopeProblems(entry: Record<string, unknown>, type: string, known: KnownModels | undefined): string[] {
  if (entry.class !== undefined && entry.type !== undefined) return ['has both "class" and "type"; "class" narrows the row to some classes, "type" widens it to more model types: keep one'];
  if (entry.type !== undefined) {
    const types = names(entry.type);
    if (!types) return ['"type" must be a model type or a non-empty list of them'];
    if (!types.includes(type)) return [`"type" lists ${types.join(', ')} but not the row's own type '${type}'; add it, or move the entry to the row of its type`];
    return scopeProblems({ type: types }, known);
  }
  if (entry.class === undefined) return [];
  const classes = names(entry.class);
  if (!classes) return ['"class" must be a name or a non-empty list of names'];
  const found = scopeProblems({ class: classes }, known);
  if (found.length || !known) return found;
  return classes.filter((name) => !known.find((e) => e.class === name)!.model_types.includes(type))
    .map((name) => `class '${name}' is not of model type '${type}' (its types: ${known.find((e) => e.class === name)!.model_types.join(', ')}); move the entry to that row`);
}

function problems(entry: Record<string, unknown>, list: SkipListName, scope: string[]): string[] {
  const found: string[] = [];
  const text = (key: string) => typeof entry[key] === 'string' && (entry[key] as string).trim() !== '';
  for (const key of ['reason', 'todo']) if (!text(key)) found.push(`"${key}" is missing or empty`);
  found.push(...scope, ...expectationProblems(entry, list), ...pinProblems(entry));
  if (!text('link')) found.push('has no upstream link; add "link": "https://github.com/<org>/<repo>/issues/<n>" (or /pull/<n>)');
  else if (!UPSTREAM_LINK.test(entry.link as string)) found.push(`link '${entry.link}' is not a GitHub issue or pull-request URL`);
  if (!text('added') || !DATE.test(entry.added as string)) found.push('"added" must be the date the entry was added, YYYY-MM-DD');
  const backends = entry.backends ?? (list === 'onnx-disable-optimize' ? ['onnx'] : undefined);
  if (backends !== 'all' && !(Array.isArray(backends) && backends.length && backends.every((b) => (BACKENDS as readonly string[]).includes(b)))) {
    found.push(`"backends" must be "all" or a list of ${BACKENDS.join(', ')}`);
  }
  if (list === 'onnx-disable-optimize' && Array.isArray(backends) && backends.some((b) => b !== 'onnx')) {
    found.push('onnx-disable-optimize entries apply to the onnx backend only');
  }
  const modes = entry.modes;
  if (modes !== 'all' && !(Array.isArray(modes) && modes.length && modes.every((m) => (SKIP_SCOPES as readonly string[]).includes(m)))) {
    found.push(`"modes" must be "all" or a list of ${SKIP_SCOPES.join(', ')}`);
  }
  for (const key of Object.keys(entry)) if (!FIELDS.has(key)) found.push(`unknown field "${key}"`);
  return found;
}

/** The entry with its lists spelt out, once it is known to be valid. */
function normalised(entry: Record<string, unknown>, list: SkipListName, file: string, line: number): LoadedEntry {
  const raw = { backends: list === 'onnx-disable-optimize' ? ['onnx'] : undefined, ...entry } as unknown as SkipEntry;
  return {
    ...raw, kind: raw.kind ?? 'skip', list, file, line,
    classes: names(raw.class), types: names(raw.type),
    pinSets: raw.pins === 'all' ? 'all' : names(raw.pins)!,
    errorPattern: raw.error === undefined ? undefined : new RegExp(raw.error),
  };
}

/** One list file's entries; throws SkipListError naming file:line for every bad entry. */
export function loadSkipList(file: string, list: SkipListName, known?: KnownModels): LoadedEntry[] {
  if (!existsSync(file)) return [];
  const shown = relative(process.cwd(), file) || file;
  const text = readFileSync(file, 'utf8');
  let data: { entries?: unknown };
  try {
    data = JSON.parse(text) as { entries?: unknown };
  } catch (error) {
    throw new SkipListError(`${shown}: not valid JSON (${(error as Error).message}); fix the syntax.`);
  }
  if (!Array.isArray(data.entries)) throw new SkipListError(`${shown}: expected {"entries": [...]} at the top level.`);
  const lines = jsonLines(text);
  const errors: string[] = [];
  const entries = (data.entries as Record<string, unknown>[]).map((entry, i) => {
    const line = lines.get(`entries.${i}`) ?? 1;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      errors.push(`${shown}:${line}: an entry must be an object`);
      return undefined;
    }
    const found = problems(entry, list, scopeProblems(entry, known));
    for (const problem of found) errors.push(`${shown}:${line}: ${[entry.class ?? entry.type ?? 'entry'].flat().join(', ')}: ${problem}`);
    return found.length ? undefined : normalised(entry, list, shown, line);
  });
  if (errors.length) throw new SkipListError(`invalid skip-list entries:\n  ${errors.join('\n  ')}`);
  return entries.filter((e): e is LoadedEntry => e !== undefined);
}

/** The rows' ``expect`` entries, as export-skip entries in row order; throws SkipListError naming
 * file:line, row and entry for every bad one, and every row keyed by a model type ``known`` lacks. */
export function loadExpectations(architectures: Architectures, known?: KnownModels): LoadedEntry[] {
  const lines = jsonLines(architectures.text);
  const errors: string[] = [];
  const knownTypes = known && new Set(known.flatMap((e) => e.model_types));
  const entries = Object.entries(architectures.rows).flatMap(([type, row]) => {
    if (knownTypes && !knownTypes.has(type)) {
      errors.push(`${architectures.file}:${lines.get(`rows.${type}`) ?? 1}: rows.${type}: '${type}' is not a model type of the pinned transformers (see \`export-sweep list --family ${type}\`); fix the row's key`);
    }
    return (row.expect ?? []).map((entry, index) => {
      const line = lines.get(`rows.${type}.expect.${index}`) ?? 1;
      const found = problems(entry, 'export-skip', rowScopeProblems(entry, type, known));
      const named = [entry.class ?? entry.type ?? type].flat().join(', ');
      for (const problem of found) errors.push(`${architectures.file}:${line}: rows.${type}.expect[${index}] (${named}): ${problem}`);
      return found.length ? undefined : normalised(entry.class === undefined ? { type, ...entry } : entry, 'export-skip', architectures.file, line);
    });
  });
  if (errors.length) throw new SkipListError(`invalid expectations:\n  ${errors.join('\n  ')}`);
  return entries.filter((e): e is LoadedEntry => e !== undefined);
}

export interface SkipLists { exportSkip: LoadedEntry[]; disableOptimize: LoadedEntry[] }

/** The export-skip entries of the architecture rows at ``path`` and the onnx-disable-optimize list
 * of ``dir``. */
export function loadSkipLists(path = ARCHITECTURES_PATH, known?: KnownModels, dir = join(REPO_ROOT, 'skip-lists')): SkipLists {
  return {
    exportSkip: loadExpectations(loadArchitectures(path), known),
    disableOptimize: loadSkipList(join(dir, 'onnx-disable-optimize.json'), 'onnx-disable-optimize', known),
  };
}

/** The entry covers the job: its class or model type, backend and mode, under the pin set ``pinSet``. */
export function applies(entry: LoadedEntry, job: MatchedJob, pinSet: string): boolean {
  const model = entry.classes ? entry.classes.includes(job.model.class) : Boolean(job.model.model_type && entry.types?.includes(job.model.model_type));
  return model
    && (entry.pinSets === 'all' || entry.pinSets.includes(pinSet))
    && (entry.backends === 'all' || entry.backends.includes(job.backend))
    && (entry.modes === 'all' || (entry.modes as string[]).includes(job.mode));
}

export function skipRef(entry: LoadedEntry): SkipRef {
  const { list, file, line, kind, reason, todo, link, error } = entry;
  const named = entry.classes ? { class: entry.classes.join(', ') } : { type: entry.types!.join(', ') };
  return { list, file, line, kind, ...named, ...(error === undefined ? {} : { error }), reason, todo, link };
}

/** What a report calls the entry: its class(es), or ``type <model types>``. */
export const entryName = (ref: Pick<SkipRef, 'class' | 'type'>): string => ref.class ?? `type ${ref.type ?? '?'}`;

/** The first entry covering the job under the run's pin set (default: the one in force, pin-set.ts). */
export function findSkip(entries: LoadedEntry[], job: MatchedJob, pinSet = pinSetName()): LoadedEntry | undefined {
  return entries.find((entry) => applies(entry, job, pinSet));
}

/** The text an xfail entry's ``error`` is searched in: ``Type: message`` (or an older result's error). */
export function failureText(result: { errorInfo?: { type: string; message: string }; error?: string }): string {
  return result.errorInfo ? `${result.errorInfo.type}: ${result.errorInfo.message}` : result.error ?? '';
}
