// `export-sweep list`: every model class of the pinned transformers, or the default sweep set.
import { filterCatalog, loadCatalog } from '../catalog/catalog.js';
import { loadModelEntries } from '../catalog/default-models.js';
import { parseCommand } from './args.js';

export const LIST_USAGE = `usage: export-sweep list [PATTERN] [--family T] [--task T] [--modality M] [--default]

Lists every model class the pinned transformers registers in its auto mappings, with model type,
task, modality and whether it is generative, and says how many there are.

  --family T        model type (llama, bert, ...)
  --task T          task (causal-lm, image-classification, ...)
  --modality M      text, vision, audio, multimodal, time-series
  [PATTERN]         glob on the class name, e.g. '*ForCausalLM'
  --default         the built-in default sweep set instead
  --pins NAME       the catalog of pins/NAME.txt`;

export async function listCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(args, LIST_USAGE, {
    family: { type: 'string' }, task: { type: 'string' }, modality: { type: 'string' }, default: { type: 'boolean' }, pins: { type: 'string' },
  } as const);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const { usePins } = await import('./run-command.js');
  usePins(values.pins);
  if (values.default) {
    const entries = loadModelEntries();
    const width = (key: 'id' | 'class' | 'model_type') => Math.max(...entries.map((e) => e[key].length));
    for (const e of entries) console.log(`${e.id.padEnd(width('id'))}  ${e.class.padEnd(width('class'))}  ${e.model_type.padEnd(width('model_type'))}  ${e.task}`);
    console.log(`${entries.length} models in the default set`);
    return 0;
  }
  const catalog = await loadCatalog();
  const shown = filterCatalog(catalog, { family: values.family, task: values.task, modality: values.modality, pattern: positionals[0] });
  const width = Math.max(5, ...shown.map((e) => e.class.length));
  for (const e of shown) {
    console.log(`${e.class.padEnd(width)}  ${e.model_type.padEnd(20)}  ${e.task.padEnd(26)}  ${e.modality.padEnd(10)}  ${e.generative ? 'generative' : ''}`.trimEnd());
  }
  const filtered = shown.length === catalog.length ? '' : ` (${shown.length} shown)`;
  console.log(`${catalog.length} model classes in transformers' auto mappings${filtered}`);
  return 0;
}
