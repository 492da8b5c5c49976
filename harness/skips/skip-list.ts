// The skip lists: data, one entry per model class and scope, each with the upstream issue that keeps
// it there. The loader refuses an entry it cannot trust (no link, unknown class, bad scope) and says
// which file and line to fix, so a list cannot quietly grow into a way of hiding failures.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../python/paths.js';
import { BACKENDS } from '../sweep/jobs.js';

export const SKIP_LISTS = ['export-skip', 'onnx-disable-optimize'] as const;
export type SkipListName = (typeof SKIP_LISTS)[number];
export const SKIP_SCOPES = ['static', 'dynamic', 'generate'] as const;
export type SkipScope = (typeof SKIP_SCOPES)[number];

export interface SkipEntry {
  class: string;
  backends: 'all' | string[];
  modes: 'all' | SkipScope[];
  reason: string;
  todo: string;
  link: string;
  added: string;
  pins: string;
}

/** Where a job's skip came from, carried in its result so reports can link upstream. */
export interface SkipRef {
  list: SkipListName;
  file: string;
  line: number;
  class: string;
  reason: string;
  todo: string;
  link: string;
}

export interface LoadedEntry extends SkipEntry { list: SkipListName; file: string; line: number }

export class SkipListError extends Error {}

const UPSTREAM_LINK = /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+\/(issues|pull)\/\d+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The line of each element of the top-level "entries" array, found by scanning the JSON text. */
function entryLines(text: string): number[] {
  const lines: number[] = [];
  let depth = 0;
  let line = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') line += 1;
    if (inString) {
      if (ch === '\\') i += 1;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      if (ch === '{' && depth === 2) lines.push(line);
      depth += 1;
    } else if (ch === '}' || ch === ']') depth -= 1;
  }
  return lines;
}

function problems(entry: Record<string, unknown>, list: SkipListName, knownClasses: Set<string> | undefined): string[] {
  const found: string[] = [];
  const text = (key: string) => typeof entry[key] === 'string' && (entry[key] as string).trim() !== '';
  for (const key of ['class', 'reason', 'todo']) if (!text(key)) found.push(`"${key}" is missing or empty`);
  if (!text('link')) found.push('has no upstream link; add "link": "https://github.com/<org>/<repo>/issues/<n>" (or /pull/<n>)');
  else if (!UPSTREAM_LINK.test(entry.link as string)) found.push(`link '${entry.link}' is not a GitHub issue or pull-request URL`);
  if (!text('added') || !DATE.test(entry.added as string)) found.push('"added" must be the date the entry was added, YYYY-MM-DD');
  if (!text('pins')) found.push('"pins" must name the pin set the failure was observed on (e.g. "baseline")');
  else if (!existsSync(join(REPO_ROOT, 'pins', `${entry.pins}.txt`))) found.push(`pin set '${entry.pins}' has no pins/${entry.pins}.txt`);
  if (text('class') && knownClasses && !knownClasses.has(entry.class as string)) {
    found.push(`class '${entry.class}' is not a model class of the pinned transformers (see \`export-sweep list\`)`);
  }
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
  const known = new Set(['class', 'backends', 'modes', 'reason', 'todo', 'link', 'added', 'pins']);
  for (const key of Object.keys(entry)) if (!known.has(key)) found.push(`unknown field "${key}"`);
  return found;
}

/** One list file's entries; throws SkipListError naming file:line for every bad entry. */
export function loadSkipList(file: string, list: SkipListName, knownClasses?: Set<string>): LoadedEntry[] {
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
  const lines = entryLines(text);
  const errors: string[] = [];
  const entries = (data.entries as Record<string, unknown>[]).map((entry, i) => {
    const line = lines[i] ?? 1;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      errors.push(`${shown}:${line}: an entry must be an object`);
      return undefined;
    }
    for (const problem of problems(entry, list, knownClasses)) errors.push(`${shown}:${line}: ${String(entry.class ?? 'entry')}: ${problem}`);
    return { backends: list === 'onnx-disable-optimize' ? ['onnx'] : undefined, ...entry, list, file: shown, line } as LoadedEntry;
  });
  if (errors.length) throw new SkipListError(`invalid skip-list entries:\n  ${errors.join('\n  ')}`);
  return entries.filter((e): e is LoadedEntry => e !== undefined);
}

export interface SkipLists { exportSkip: LoadedEntry[]; disableOptimize: LoadedEntry[] }

export function loadSkipLists(dir = join(REPO_ROOT, 'skip-lists'), knownClasses?: Set<string>): SkipLists {
  return {
    exportSkip: loadSkipList(join(dir, 'export-skip.json'), 'export-skip', knownClasses),
    disableOptimize: loadSkipList(join(dir, 'onnx-disable-optimize.json'), 'onnx-disable-optimize', knownClasses),
  };
}

function covers(entry: LoadedEntry, job: { model: { class: string }; backend: string; mode: string }): boolean {
  return entry.class === job.model.class
    && (entry.backends === 'all' || entry.backends.includes(job.backend))
    && (entry.modes === 'all' || (entry.modes as string[]).includes(job.mode));
}

export function skipRef(entry: LoadedEntry): SkipRef {
  const { list, file, line, reason, todo, link } = entry;
  return { list, file, line, class: entry.class, reason, todo, link };
}

export function findSkip(entries: LoadedEntry[], job: { model: { class: string }; backend: string; mode: string }): LoadedEntry | undefined {
  return entries.find((entry) => covers(entry, job));
}
