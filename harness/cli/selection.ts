// Flags to model entries: the default set, explicit sources, or catalog classes picked by family,
// task, modality or glob (built as tiny synthetic checkpoints).
import { filterCatalog, type CatalogEntry, type CatalogFilter } from '../catalog/catalog.js';
import { loadModelEntries, selectModels, type ModelEntry } from '../catalog/default-models.js';
import { parseSource } from '../source/model-source.js';
import { list, UsageError } from './args.js';

export interface SelectionFlags { models?: string; family?: string; task?: string; modality?: string; pattern?: string }

/** A sweep entry for a model source; its class comes from the source (or from config.json at load). */
export function sourceEntry(spec: string, catalog: CatalogEntry[] = []): ModelEntry {
  const source = parseSource(spec);
  const name = source.kind === 'synthetic' ? source.className : source.kind === 'hub' ? source.repo : source.path;
  const known = source.kind === 'synthetic' ? catalog.find((e) => e.class === source.className) : undefined;
  return { id: spec, class: name, model_type: known?.model_type ?? '', task: known?.task ?? '', seed: 0, config: {}, source: spec, generative: known?.generative };
}

/** A catalog class as a sweep entry: its tiny synthetic checkpoint, under the class's own name. */
export function catalogClassEntry(entry: CatalogEntry, catalog: CatalogEntry[]): ModelEntry {
  return { ...sourceEntry(`synthetic:${entry.class}`, catalog), id: entry.class };
}

export async function selectEntries(flags: SelectionFlags, catalog: CatalogEntry[]): Promise<{ models: ModelEntry[] }> {
  const requested = list(flags.models, '--models') ?? [];
  const sources = requested.filter((name) => name.includes(':'));
  const named = requested.filter((name) => !name.includes(':'));
  const byCatalog = Boolean(flags.family || flags.task || flags.modality || flags.pattern);
  const models: ModelEntry[] = [];
  if (named.length || (!sources.length && !byCatalog)) models.push(...selectModels(loadModelEntries(), named));
  models.push(...sources.map((spec) => sourceEntry(spec, catalog)));
  if (byCatalog) {
    const picked = pickFromCatalog(catalog, { family: flags.family, task: flags.task, modality: flags.modality, pattern: flags.pattern });
    models.push(...picked.map((e) => catalogClassEntry(e, catalog)));
  }
  return { models };
}

/** The catalog classes a filter picks, for list, run and coverage alike: an unknown task, family or
 * modality is a usage error naming the known ones, and so is a filter that matches nothing (a sweep
 * of nothing, or an empty list, would pass for a typo's answer). */
export function pickFromCatalog(catalog: CatalogEntry[], filter: CatalogFilter): CatalogEntry[] {
  const known = (values: string[]) => [...new Set(values)].sort();
  const check = (flag: string, value: string | undefined, values: string[], show: boolean) => {
    if (value === undefined || values.includes(value)) return;
    throw new UsageError(`${flag} '${value}' is not one of the catalog's ${flag.slice(2)}s${show ? `: ${known(values).join(', ')}` : ' (see `export-sweep list`)'}`);
  };
  check('--task', filter.task, catalog.flatMap((e) => e.tasks), true);
  check('--modality', filter.modality, catalog.map((e) => e.modality), true);
  check('--family', filter.family, catalog.flatMap((e) => e.model_types), false);
  const picked = filterCatalog(catalog, filter);
  if (!picked.length) throw new UsageError('the catalog filters match no model class; check them with `export-sweep list` and the same filters');
  return picked;
}
