// export-sweep command line: `sweep` runs the selection and prints the matrix, `list` shows models.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { filterCatalog, loadCatalog } from '../catalog/catalog.js';
import { loadModelEntries, selectModels } from '../catalog/default-models.js';
import { REPO_ROOT } from '../python/paths.js';
import { renderTable, resultLine } from '../report/table.js';
import { BACKENDS, MODES, expandJobs, type Mode } from '../sweep/jobs.js';
import { runSweep } from '../sweep/sweep.js';

const USAGE = `usage: export-sweep <command> [options]

commands:
  sweep   export every selected model with every selected backend, compare with eager, print the matrix
  list    list every model class of the pinned transformers (or --default: the default sweep set)

list options:
  --family T        model type (llama, bert, ...)
  --task T          task (causal-lm, image-classification, ...)
  --modality M      text, vision, audio, multimodal, time-series
  [PATTERN]         glob on the class name, e.g. '*ForCausalLM'
  --default         the built-in default sweep set instead

sweep options:
  --models a,b      model ids or classes (default: all of the default set)
  --backends a,b    ${BACKENDS.join(', ')} (default: all)
  --modes a,b       static, dynamic (default: both)
  --jobs N          parallel workers (default: cores = ${availableParallelism()})
  --timeout S       seconds one job may take before its worker is killed (default 600)
  --out DIR         run folder (default: reports/<timestamp>)`;

function list(value: string | undefined): string[] | undefined {
  return value?.split(',').map((s) => s.trim()).filter(Boolean);
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got '${value}'`);
  return n;
}

async function sweep(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      models: { type: 'string' }, backends: { type: 'string' }, modes: { type: 'string' },
      jobs: { type: 'string' }, timeout: { type: 'string' }, out: { type: 'string' },
    },
  });
  const models = selectModels(loadModelEntries(), list(values.models));
  const jobs = expandJobs(models, list(values.backends) ?? BACKENDS, (list(values.modes) ?? MODES) as Mode[]);
  const runDir = values.out ?? join(REPO_ROOT, 'reports', new Date().toISOString().replace(/[:.]/g, '-'));
  const workers = Math.min(positiveInt(values.jobs, '--jobs') ?? availableParallelism(), jobs.length);
  const timeout = positiveInt(values.timeout, '--timeout');
  console.log(`export-sweep: ${jobs.length} jobs (${models.length} models) on ${workers} workers -> ${runDir}`);
  const run = await runSweep({
    jobs, runDir, workers, jobTimeoutMs: timeout && timeout * 1000,
    onResult: (result, done, total) => console.log(`[${done}/${total}] ${result.id}: ${resultLine(result)}`),
  });
  console.log(`\n${renderTable(run.results)}\n\nresults: ${run.resultsPath} (${(run.wallMs / 1000).toFixed(1)} s)`);
  return run.results.every((r) => r.status === 'pass' || r.status === 'skipped') ? 0 : 1;
}

async function listModels(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { family: { type: 'string' }, task: { type: 'string' }, modality: { type: 'string' }, default: { type: 'boolean' } },
  });
  if (values.default) {
    const entries = loadModelEntries();
    for (const e of entries) console.log(`${e.id.padEnd(14)} ${e.class.padEnd(30)} ${e.model_type.padEnd(8)} ${e.task}`);
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

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'sweep') return sweep(rest);
  if (command === 'list') return listModels(rest);
  console.error(command && command !== '--help' && command !== '-h' ? `unknown command '${command}'\n\n${USAGE}` : USAGE);
  return command && command !== '--help' && command !== '-h' ? 2 : 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: Error) => {
    console.error(`export-sweep: ${error.message}`);
    process.exitCode = 2;
  },
);
