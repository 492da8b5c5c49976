// An issue-ready reproduction beside each failing job (jobs/<job>/repro.md and repro.py), as
// onnxscript's torchlib tests write one per failing op: the command that replays the job, a
// standalone script that rebuilds the model and its inputs from files and calls the exporter, the
// versions, and the error with its cause chain and traceback.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toleranceFor } from '../compare/tolerance.js';
import { replayCommand } from '../report/model-report.js';
import type { ModelEntry } from '../catalog/default-models.js';
import type { JobResult } from './job-result.js';
import type { Job } from './jobs.js';

export interface ReproFacts {
  job: Job;
  result: JobResult;
  runDir: string;
  /** The job's folder (jobs/<job>/), where the files go. */
  dir: string;
  /** The checkpoint folder, when the checkpoint stage got that far. */
  modelDir?: string;
  /** The inputs file the export was (or would have been) traced on, when the recipe wrote one. */
  inputs?: string;
  /** A fuzz failure's smallest failing shape's inputs: the artifact, traced on ``inputs``, runs on these. */
  runInputs?: string;
  /** The export config the job asked for (exportRequest's ``config``). */
  config: Record<string, unknown>;
  /** The run's seed (--seed), which the CLI replay needs. */
  seed: number;
  versions: Record<string, string | null>;
}

const EXPORTERS: Record<string, string> = { dynamo: 'DynamoExporter', onnx: 'OnnxExporter', executorch: 'ExecutorchExporter' };
// The job's export stage ends with the file on disk (sweep_worker/artifact_files.py), and saving can
// fail where exporting did not (torch.export.save's weight packing); ONNX writes through output_path.
const SAVE_LINES: Record<string, string[]> = {
  dynamo: ['torch.export.save(exported, os.path.join(out_dir, "model.pt2"))'],
  executorch: ['with open(os.path.join(out_dir, "model.pte"), "wb") as file:', '    exported.write_to_file(file)'],
};

/** Python literals for JSON values (true/false/null differ). */
const py = (value: unknown): string => `json.loads(${JSON.stringify(JSON.stringify(value ?? null))})`;

export function cliReplay(facts: Pick<ReproFacts, 'job' | 'result' | 'runDir' | 'seed'>): string {
  const { job, result } = facts;
  return replayCommand(facts.runDir, result)
    ?? `npx export-sweep run --models ${job.model.source ?? job.model.id} --backends ${job.backend} --modes ${job.mode} --seed ${facts.seed}`;
}

function checkpointLines(entry: ModelEntry, modelDir: string | undefined, stage: string | undefined): string[] {
  if (stage === 'checkpoint' && !entry.source) {
    // the tiny checkpoint never got written: build it again, the way the worker's make_tiny does
    return [
      'from sweep_worker.tiny_checkpoint import make_tiny_checkpoint',
      '',
      'MODEL_DIR = tempfile.mkdtemp(prefix="repro-checkpoint-")',
      `make_tiny_checkpoint(${JSON.stringify(entry.class)}, ${JSON.stringify(entry.model_type)}, ${py(entry.config)}, ${entry.seed}, MODEL_DIR)`,
    ];
  }
  return [`MODEL_DIR = ${JSON.stringify(modelDir ?? '')}  # the checkpoint folder the job loaded`];
}

/** The standalone script: model and inputs from their files, then the failing step itself. */
export function reproScript(facts: ReproFacts): string {
  const { job, result, config, modelDir, inputs } = facts;
  const stage = result.errorInfo?.stage ?? result.stage;
  const { debug_plant: plant, ...exportConfig } = config;
  const exporter = EXPORTERS[job.backend] ?? 'DynamoExporter';
  const tolerance = toleranceFor(job.backend, 'float32', job.model.model_type);
  const lines = [
    '#!/usr/bin/env python',
    `"""Reproduction of export-sweep job ${result.id}: ${result.status} at ${stage ?? '?'}.`,
    '',
    'Run it with the interpreter of the pinned environment (from the repository root: bin/py <this file>).',
    'It exits non-zero with the error when the failure reproduces."""',
    '',
    'import contextlib',
    'import json',
    'import os',
    'import sys',
    'import tempfile',
    '',
    'import torch',
    'import transformers',
    'from safetensors import safe_open',
    '',
    ...checkpointLines(job.model, modelDir, stage),
    `INPUTS = ${JSON.stringify(inputs ?? '')}  # the inputs the job traced, kept in its folder`,
    ...(facts.runInputs ? [`RUN_INPUTS = ${JSON.stringify(facts.runInputs)}  # the smallest fuzzed shape that failed`] : []),
    `CONFIG = ${py(exportConfig)}  # the job's export config`,
    '',
    '',
    'def read_inputs(path):',
    '    # in the order the export signature takes them (the file records it; safetensors sorts its keys)',
    '    with safe_open(path, framework="pt") as handle:',
    '        order = json.loads((handle.metadata() or {}).get("order", "[]")) or list(handle.keys())',
    '        return {name: handle.get_tensor(name) for name in order}',
    '',
    '',
    `model = transformers.${job.model.class}.from_pretrained(MODEL_DIR, local_files_only=True, use_safetensors=True).eval()`,
  ];
  if (stage === 'checkpoint') {
    lines.push('print("checkpoint loaded: the failure did not reproduce")', 'sys.exit(0)');
    return `${lines.join('\n')}\n`;
  }
  if (job.mode === 'generate') {
    // a generate job's prompt file and the worker's own ops: the loop has no public entry point
    lines.push(
      'from sweep_worker import generation_ops, ops',
      '',
      'ops._MODELS["model"] = model',
      'print(generation_ops.generate_eager("model", INPUTS, 8)["tokens"])',
    );
    if (stage !== 'eager' && stage !== 'inputs') {
      lines.push(
        `os.environ["SWEEP_WORKER_DEBUG"] = "1"` + (plant ? '' : '  # harmless without a plant'),
        `out = tempfile.mkdtemp(prefix="repro-generate-")`,
        `manifest = generation_ops.export_generation("model", ${JSON.stringify(job.backend)}, INPUTS, out, {**CONFIG, "dynamic": True${plant ? `, "debug_plant": ${JSON.stringify(plant)}` : ''}})`,
        'print(generation_ops.generate_artifact(manifest["manifest"], INPUTS, 8)["tokens"])',
      );
    }
    return `${lines.join('\n')}\n`;
  }
  if (stage === 'inputs' || !inputs) {
    lines.push(
      'from sweep_worker.sample_inputs import build_recipe',
      '',
      'inputs, _ = build_recipe(model, batch=2, seq=7)  # the recipe the job could not build inputs with',
    );
  } else lines.push('inputs = read_inputs(INPUTS)');
  lines.push('', 'with torch.no_grad():', '    expected = model(**inputs)', 'print("eager forward ran")');
  if (stage === 'eager' || stage === 'inputs') return `${lines.join('\n')}\n`;
  const plantLines = plant
    ? [
      '# the job exported under a planted bug (a test-only worker option): plant it the same way',
      'os.environ["SWEEP_WORKER_DEBUG"] = "1"',
      'from sweep_worker.planted_bugs import planted',
      '',
      `plant = planted(${JSON.stringify(plant)}, model)`,
    ]
    : ['plant = contextlib.nullcontext()'];
  lines.push('', ...plantLines, '');
  if (stage === 'export') {
    lines.push(
      `from hf_exporters import ${exporter}`,
      '',
      'out_dir = tempfile.mkdtemp(prefix="repro-artifact-")',
      job.backend === 'onnx'
        ? `export_config = {**CONFIG, "output_path": os.path.join(out_dir, "model.onnx")}`
        : 'export_config = CONFIG',
      'with plant:',
      `    exported = ${exporter}().export(model, inputs, export_config)`,
      ...(SAVE_LINES[job.backend] ?? []),
      'print("exported: the failure did not reproduce")',
    );
    return `${lines.join('\n')}\n`;
  }
  // run and compare failures: export through the adapter the worker uses (it calls ${exporter} and
  // writes the files the runtime needs), run with the worker's runner for the backend, compare
  lines.push(
    'from pathlib import Path',
    '',
    'from hf_exporters.utils import get_leaf_tensors',
    'from sweep_worker.implementations import get_export',
    'from sweep_worker.runners import run_artifact',
    '',
    `BACKEND = ${JSON.stringify(job.backend)}`,
    'with plant:',
    '    artifact, _ = get_export(BACKEND)(model, inputs, dict(CONFIG), Path(tempfile.mkdtemp(prefix="repro-artifact-")))',
    ...(facts.runInputs
      ? ['run_inputs = read_inputs(RUN_INPUTS)', 'with torch.no_grad():', '    expected = model(**run_inputs)']
      : ['run_inputs = inputs']),
    '# padded positions are compared too (the harness leaves them out): a difference only there is no bug',
    'actual = run_artifact(BACKEND, artifact, run_inputs)',
    'worst, failed = 0.0, []',
    'for name, want in get_leaf_tensors(expected).items():',
    '    got = actual.get(name)',
    '    if got is None or got.shape != want.shape or got.dtype != want.dtype:',
    '        failed.append(f"{name}: {None if got is None else (list(got.shape), got.dtype)}, eager {(list(want.shape), want.dtype)}")',
    '        continue',
    '    if want.is_floating_point():',
    '        error = (got.double() - want.double()).abs().max().item() if want.numel() else 0.0',
    '        worst = max(worst, error)',
    `        if not torch.allclose(got, want, atol=${tolerance.atol}, rtol=${tolerance.rtol}, equal_nan=True):`,
    '            failed.append(f"{name}: max abs error {error:.3e}")',
    '    elif not torch.equal(got, want):',
    '        failed.append(f"{name}: values differ")',
    'print(f"max abs error {worst:.3e}")',
    'if failed:',
    `    sys.exit("OutputMismatch: " + "; ".join(failed))`,
    'print("outputs match eager: the failure did not reproduce")',
  );
  return `${lines.join('\n')}\n`;
}

/** ``Type: message``, unless the worker's message already names the type (``... failed: RuntimeError: ...``). */
const errorLine = (type: string, message: string) => (message.includes(`${type}:`) ? message : `${type}: ${message}`);

export function reproMarkdown(facts: ReproFacts, scriptPath: string, script: string): string {
  const { result, versions } = facts;
  const info = result.errorInfo;
  const fence = (text: string, lang = '') => `\`\`\`${lang}\n${text.replaceAll('```', "'''")}\n\`\`\``;
  const causes = (info?.causes ?? []).map((c, i) => `${i + 1}. \`${c.type}\`: ${c.message.split('\n')[0]}`);
  return [
    `# ${result.id}: ${result.status} at ${info?.stage ?? result.stage ?? '?'}`,
    '',
    `${result.modelClass} (${facts.job.model.model_type}), backend ${result.backend}, mode ${result.mode}. Stages reached: ${(result.stages ?? []).join(' > ') || 'none'}.`,
    ...(result.inputsNotFed?.length ? ['', `Inputs fed: ${(result.inputsFed ?? []).join(', ')}; not fed: ${result.inputsNotFed.join(', ')}.`] : []),
    '',
    '## Error',
    '',
    fence(errorLine(info?.type ?? 'Error', info?.message ?? result.error ?? '')),
    ...(causes.length ? ['', 'Cause chain, outermost first:', '', ...causes] : []),
    ...(info?.traceback ? ['', '<details><summary>Traceback</summary>', '', fence(info.traceback, 'pytb'), '', '</details>'] : []),
    ...(info?.stderrTail || result.stderrTail ? ['', 'Native stderr (tail):', '', fence((info?.stderrTail ?? result.stderrTail)!)] : []),
    '',
    '## Replay with export-sweep',
    '',
    fence(cliReplay(facts), 'sh'),
    '',
    '## Standalone reproduction',
    '',
    `Also written as \`${scriptPath}\`; run it with \`bin/py ${scriptPath}\`.`,
    '',
    fence(script.trimEnd(), 'python'),
    '',
    '## Versions',
    '',
    '| package | version |',
    '|---|---|',
    ...Object.entries(versions).map(([name, version]) => `| ${name} | ${version ?? 'not installed'} |`),
    '',
  ].join('\n');
}

/** Writes repro.md and repro.py into the job's folder; returns the script's path. */
export async function writeRepro(facts: ReproFacts): Promise<string> {
  await mkdir(facts.dir, { recursive: true });
  const scriptPath = join(facts.dir, 'repro.py');
  const script = reproScript({ ...facts, inputs: facts.inputs && existsSync(facts.inputs) ? facts.inputs : undefined });
  await writeFile(scriptPath, script, { mode: 0o755 });
  await writeFile(join(facts.dir, 'repro.md'), reproMarkdown(facts, scriptPath, script));
  return scriptPath;
}
