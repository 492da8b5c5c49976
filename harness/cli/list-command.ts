// `export-sweep list`: every model class of the pinned transformers, the default sweep set, or the
// expectations (skip / xfail entries) of the architecture rows with their upstream links.
import { loadCatalog } from '../catalog/catalog.js';
import { loadModelEntries } from '../catalog/default-models.js';
import { loadSkipLists } from '../skips/skip-list.js';
import { alignColumns } from '../report/text-columns.js';
import { parseCommand } from './args.js';
import { pickFromCatalog } from './selection.js';

export const LIST_USAGE = `usage: export-sweep list [PATTERN] [--family T] [--task T] [--modality M] [--default | --skips]

Lists every model class the pinned transformers registers in its auto mappings, with model type,
task (transformers' pipeline task name), modality and whether it is generative, under a header,
and says how many there are. An unknown --task, --family or --modality, or filters that match no
class, are usage errors (exit 2), as they are for run.

  --family T        model type (llama, bert, ...)
  --task T          task, as transformers' pipelines name it (text-generation, fill-mask,
                    feature-extraction, image-classification, ...)
  --modality M      text, vision, audio, multimodal, time-series
  [PATTERN]         glob on the class name, e.g. '*ForCausalLM'
  --default         the built-in default sweep set instead
  --skips           the skip and xfail entries of the architecture rows instead, each with its
                    scope, pin sets, upstream link and where it is written
  --pins NAME       the catalog of pins/NAME.txt`;

export async function listCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(args, LIST_USAGE, {
    family: { type: 'string' }, task: { type: 'string' }, modality: { type: 'string' }, default: { type: 'boolean' }, skips: { type: 'boolean' }, pins: { type: 'string' },
  } as const);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const { usePins } = await import('./run-command.js');
  usePins(values.pins);
  if (values.default) {
    const entries = loadModelEntries();
    console.log(alignColumns(['ID', 'CLASS', 'MODEL TYPE', 'TASK'], entries.map((e) => [e.id, e.class, e.model_type, e.task])));
    console.log(`${entries.length} models in the default set`);
    return 0;
  }
  const catalog = await loadCatalog();
  if (values.skips) {
    const { exportSkip } = loadSkipLists(undefined, catalog);
    const list = (value: string | string[]) => [value].flat().join(',');
    console.log(alignColumns(['KIND', 'MODELS', 'BACKENDS', 'MODES', 'PINS', 'LINK', 'WHERE'], exportSkip.map((e) => [
      e.kind, e.classes?.join(',') ?? `type ${e.types!.join(',')}`, list(e.backends), list(e.modes), list(e.pinSets), e.link, `${e.file}:${e.line}`])));
    console.log(`${exportSkip.length} expectations in the architecture rows`);
    return 0;
  }
  const filter = { family: values.family, task: values.task, modality: values.modality, pattern: positionals[0] };
  const shown = Object.values(filter).some(Boolean) ? pickFromCatalog(catalog, filter) : catalog;
  console.log(alignColumns(['CLASS', 'MODEL TYPE', 'TASK', 'MODALITY', 'GENERATIVE'],
    shown.map((e) => [e.class, e.model_type, e.task, e.modality, e.generative ? 'generative' : ''])));
  const filtered = shown.length === catalog.length ? '' : ` (${shown.length} shown)`;
  console.log(`${catalog.length} model classes in transformers' auto mappings${filtered}`);
  return 0;
}
