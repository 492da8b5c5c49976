// The full model catalog: every class the pinned transformers registers in its auto mappings, as
// the worker reads it. Cached per pin set, since it changes only when transformers does.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheRoot, REPO_ROOT } from '../python/paths.js';
import { pinSetKey } from '../python/pin-set.js';
import { PythonWorker } from '../worker/python-worker.js';

export interface CatalogEntry {
  class: string;
  /** The class's own model type; ``model_types`` lists every type that maps to it. */
  model_type: string;
  model_types: string[];
  task: string;
  tasks: string[];
  modality: 'text' | 'vision' | 'audio' | 'multimodal' | 'time-series';
  generative: boolean;
}

export interface CatalogFilter {
  family?: string;
  task?: string;
  modality?: string;
  /** Glob on the class name: `*` any run of characters, `?` one. */
  pattern?: string;
}

const CATALOG_SOURCE = join(REPO_ROOT, 'harness', 'worker', 'python', 'sweep_worker', 'catalog.py');

/** Keyed by the pin set and the catalog code: either changing lists the classes again. */
export function catalogCachePath(): string {
  const code = createHash('sha256').update(readFileSync(CATALOG_SOURCE)).digest('hex').slice(0, 8);
  return join(cacheRoot(), 'catalog', `${pinSetKey()}-${code}.json`);
}

export async function loadCatalog(): Promise<CatalogEntry[]> {
  const path = catalogCachePath();
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as CatalogEntry[];
  const worker = new PythonWorker();
  try {
    const { classes } = await worker.request('catalog', {});
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(classes));
    return classes as CatalogEntry[];
  } finally {
    await worker.close();
  }
}

export function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${escaped}$`, 'i');
}

export function filterCatalog(entries: CatalogEntry[], filter: CatalogFilter): CatalogEntry[] {
  const glob = filter.pattern ? globToRegExp(filter.pattern) : undefined;
  return entries.filter((e) =>
    (!filter.family || e.model_types.includes(filter.family)) &&
    (!filter.task || e.tasks.includes(filter.task)) &&
    (!filter.modality || e.modality === filter.modality) &&
    (!glob || glob.test(e.class)));
}
