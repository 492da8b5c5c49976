// export-sweep command line: `sweep` runs the selection and prints the matrix, `list` shows models.
import { availableParallelism } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { filterCatalog, loadCatalog } from '../catalog/catalog.js';
import { loadModelEntries, selectModels, type ModelEntry } from '../catalog/default-models.js';
import { parseSource, resolveSource } from '../source/model-source.js';
import { ensureCheckpoint } from '../sweep/checkpoints.js';
import { measureCoverage } from '../catalog/tiny-coverage.js';
import { loadTinyOverrides } from '../catalog/tiny-overrides.js';
import { WorkerPool } from '../worker/pool.js';
import { REPO_ROOT } from '../python/paths.js';
import { renderTable, resultLine } from '../report/table.js';
import { BACKENDS, MODES, expandJobs, type Mode } from '../sweep/jobs.js';
import { runSweep } from '../sweep/sweep.js';

const USAGE = `usage: export-sweep <command> [options]

commands:
  sweep   export every selected model with every selected backend, compare with eager, print the matrix
  list      list every model class of the pinned transformers (or --default: the default sweep set)
  coverage  build a tiny config for every listed class, run one eager forward, report the share that works

list options:
  --family T        model type (llama, bert, ...)
  --task T          task (causal-lm, image-classification, ...)
  --modality M      text, vision, audio, multimodal, time-series
  [PATTERN]         glob on the class name, e.g. '*ForCausalLM'
  --default         the built-in default sweep set instead

coverage options: the list filters, plus --jobs N and --out FILE (the JSON report)

sweep options:
  --models a,b      model ids or classes of the default set (default: all of it), or sources:
                    synthetic:ClassName (tiny checkpoint via the local hub), hub:org/name[@rev], local:path
  --hub-url URL     the hub that hub: sources download from
  --trust-remote-code  allow repos whose config needs their own code (auto_map)
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

/** A sweep entry for a model source; its class comes from the source (or from config.json at load). */
function sourceEntry(spec: string): ModelEntry {
  const source = parseSource(spec);
  const name = source.kind === 'synthetic' ? source.className : source.kind === 'hub' ? source.repo : source.path;
  return { id: spec, class: source.kind === 'synthetic' ? source.className : name, model_type: '', task: '', seed: 0, config: {}, source: spec };
}

async function sweep(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      models: { type: 'string' }, backends: { type: 'string' }, modes: { type: 'string' },
      jobs: { type: 'string' }, timeout: { type: 'string' }, out: { type: 'string' },
      'hub-url': { type: 'string' }, 'trust-remote-code': { type: 'boolean' },
    },
  });
  const requested = list(values.models) ?? [];
  const sources = requested.filter((name) => name.includes(':'));
  const named = requested.filter((name) => !name.includes(':'));
  const models = [
    ...(named.length || !sources.length ? selectModels(loadModelEntries(), named) : []),
    ...sources.map((spec) => sourceEntry(spec)),
  ];
  const catalog = sources.some((spec) => spec.startsWith('synthetic:')) ? await loadCatalog() : [];
  const sourceContext = { catalog, overrides: loadTinyOverrides(), hubUrl: values['hub-url'], trustRemoteCode: values['trust-remote-code'] };
  const jobs = expandJobs(models, list(values.backends) ?? BACKENDS, (list(values.modes) ?? MODES) as Mode[]);
  const runDir = values.out ?? join(REPO_ROOT, 'reports', new Date().toISOString().replace(/[:.]/g, '-'));
  const workers = Math.min(positiveInt(values.jobs, '--jobs') ?? availableParallelism(), jobs.length);
  const timeout = positiveInt(values.timeout, '--timeout');
  console.log(`export-sweep: ${jobs.length} jobs (${models.length} models) on ${workers} workers -> ${runDir}`);
  const run = await runSweep({
    jobs, runDir, workers, jobTimeoutMs: timeout && timeout * 1000, trustRemoteCode: values['trust-remote-code'],
    resolveModel: (worker, model) => model.source ? resolveSource(parseSource(model.source), { ...sourceContext, worker }) : ensureCheckpoint(worker, model),
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

async function coverage(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { family: { type: 'string' }, task: { type: 'string' }, modality: { type: 'string' }, jobs: { type: 'string' }, out: { type: 'string' } },
  });
  const catalog = await loadCatalog();
  const entries = filterCatalog(catalog, { family: values.family, task: values.task, modality: values.modality, pattern: positionals[0] });
  const overrides = loadTinyOverrides(undefined, new Set(catalog.map((e) => e.model_type)));
  const pool = new WorkerPool({ size: positiveInt(values.jobs, '--jobs') ?? availableParallelism(), recycleAfterJobs: 100 });
  console.log(`export-sweep: tiny configs for ${entries.length} classes on ${pool.size} workers`);
  try {
    const report = await measureCoverage(entries, overrides, pool);
    const out = values.out ?? join(REPO_ROOT, 'reports', 'tiny-coverage.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(report, null, 1));
    for (const group of report.failures.slice(0, 30)) {
      console.log(`${String(group.classes.length).padStart(4)}  ${group.stage.padEnd(11)} ${group.error.slice(0, 110)}  (${group.classes.slice(0, 3).join(', ')}${group.classes.length > 3 ? ', ...' : ''})`);
    }
    console.log(`\nslowest: ${report.slowest.map((r) => `${r.class} ${(r.ms / 1000).toFixed(1)}s`).join(', ')}`);
    console.log(`largest: ${report.largest.map((r) => `${r.class} ${r.parameters}`).join(', ')}`);
    console.log(`\n${report.working}/${report.classes} classes (${(100 * report.share).toFixed(1)}%) instantiate and run one eager forward; report: ${out}`);
    return 0;
  } finally {
    await pool.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'sweep') return sweep(rest);
  if (command === 'list') return listModels(rest);
  if (command === 'coverage') return coverage(rest);
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
