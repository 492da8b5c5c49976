// A job's verdict says how far it got: real tiny checkpoints, real workers and real exports, one
// sweep whose jobs each fail (or pass) in a known way. A job that never reached the exporter is
// ``broken`` at the rung that failed, never ``export-error``; a fuzzed shape where eager itself fails
// is discarded; a real export failure keeps its type, traceback and cause chain and leaves a repro
// that reproduces it; a VLM fed text only is ``partial``.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../harness/catalog/catalog.js';
import { loadModelEntries, selectModels, type ModelEntry } from '../harness/catalog/default-models.js';
import { loadTinyOverrides } from '../harness/catalog/tiny-overrides.js';
import { PYTHON_LAUNCHER, REPO_ROOT } from '../harness/python/paths.js';
import { fileName } from '../harness/report/html.js';
import { writeRunReport } from '../harness/report/write-report.js';
import { RunFolder } from '../harness/results/run-folder.js';
import { resolveModelFrom } from '../harness/sweep/checkpoints.js';
import type { JobResult } from '../harness/sweep/job-result.js';
import { expandJobs, jobWorkDir, type Job } from '../harness/sweep/jobs.js';
import { runSweep } from '../harness/sweep/sweep.js';

const bert = (id: string, positions: number): ModelEntry => ({
  id, class: 'BertModel', model_type: 'bert', task: 'feature-extraction', seed: 0,
  config: { vocab_size: 64, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: positions },
});
const models: Record<string, ModelEntry> = {
  // needs torchaudio, which the pins lack (no release is built for torch 2.12): its checkpoint cannot be built
  audio: { id: 'needs-torchaudio', class: 'HiggsAudioV2TokenizerModel', model_type: 'higgs_audio_v2_tokenizer', task: 'feature-extraction', seed: 0, config: {} },
  // its forward takes ``inputs``, a tensor no recipe builds
  perceiver: {
    id: 'perceiver-raw', class: 'PerceiverModel', model_type: 'perceiver', task: 'feature-extraction', seed: 0,
    config: { num_latents: 4, d_latents: 16, d_model: 16, num_blocks: 1, num_self_attends_per_block: 1, num_self_attention_heads: 1, num_cross_attention_heads: 1, vocab_size: 32, max_position_embeddings: 16 },
  },
  // 4 positions, and the traced sample has 7 tokens: eager itself fails
  shortBert: bert('bert-4-positions', 4),
  // 8 positions: the sample (7) runs, fuzzed sequences past 8 are outside what the model can take
  bert8: bert('bert-8-positions', 8),
  // generates from 5- and 9-token prompts with 4 positions: eager generate fails
  shortGpt2: {
    id: 'gpt2-4-positions', class: 'GPT2LMHeadModel', model_type: 'gpt2', task: 'text-generation', seed: 0, generative: true,
    config: { vocab_size: 256, n_embd: 32, n_layer: 1, n_head: 4, n_positions: 4 },
  },
  llama: selectModels(loadModelEntries(), ['tiny-llama'])[0],
  qwen2vl: { id: 'qwen2-vl', class: 'Qwen2VLForConditionalGeneration', model_type: 'qwen2_vl', task: 'image-text-to-text', seed: 0, config: {}, source: 'synthetic:Qwen2VLForConditionalGeneration' },
};
const jobs: Job[] = [
  ...expandJobs([models.audio, models.perceiver, models.shortBert, models.llama, models.qwen2vl], ['dynamo'], ['static']),
  ...expandJobs([models.bert8, models.llama], ['dynamo'], ['dynamic']),
  ...expandJobs([models.shortGpt2], ['dynamo'], ['generate']),
];

// a branch torch.export cannot trace; and a bug that shows at sequence length 1 only, for the fuzzer
const plants: Record<string, string> = { 'tiny-llama/dynamo/static': 'data-dependent', 'tiny-llama/dynamo/dynamic': 'seq-one' };

let runDir: string;
let byId: Record<string, JobResult>;
beforeAll(async () => {
  runDir = join(await mkdtemp(join(tmpdir(), 'verdicts-')), 'run');
  const catalog = await loadCatalog();
  await runSweep({
    jobs, runDir, workers: 1, workerEnv: { SWEEP_WORKER_DEBUG: '1' }, fuzz: { numRuns: 3, seed: 7 },
    resolveModel: resolveModelFrom({ catalog, overrides: loadTinyOverrides() }),
    exportConfig: (job) => (plants[job.id] ? { debug_plant: plants[job.id] } : undefined),
  });
  // what a user reads: the results file, not the objects in memory
  byId = Object.fromEntries(new RunFolder(runDir).results().map((r) => [r.id, r]));
}, 1_200_000);

describe('jobs that never reached the exporter are broken at the rung that failed', () => {
  it('checkpoint, inputs and eager failures are broken, with their stage and cause, and none is an export-error', () => {
    expect(Object.values(byId).filter((r) => r.status === 'export-error').map((r) => r.id)).toEqual(['tiny-llama/dynamo/static']);
    const audio = byId['needs-torchaudio/dynamo/static'];
    expect(audio).toMatchObject({ status: 'broken', stage: 'checkpoint', stages: ['checkpoint'], errorInfo: { stage: 'checkpoint', type: 'ImportError' } });
    expect(audio.errorInfo!.message).toMatch(/needs torchaudio, which this pin set does not install/);
    const perceiver = byId['perceiver-raw/dynamo/static'];
    expect(perceiver).toMatchObject({ status: 'broken', stage: 'inputs', stages: ['checkpoint', 'inputs'], errorInfo: { type: 'InputError' } });
    expect(perceiver.error).toMatch(/no sample-input recipe fits PerceiverModel/);
    const shortBert = byId['bert-4-positions/dynamo/static'];
    expect(shortBert).toMatchObject({ status: 'broken', stage: 'eager', stages: ['checkpoint', 'inputs', 'eager'], errorInfo: { type: 'RuntimeError' } });
    expect(shortBert.errorInfo!.causes!.map((c) => c.type)).toEqual(['RunError', 'RuntimeError']);
    expect(shortBert.artifactBytes).toBeUndefined(); // eager ran first: nothing was exported
  });

  it('a generate job whose eager generate fails is broken at eager, before any export', () => {
    const gpt2 = byId['gpt2-4-positions/dynamo/generate'];
    expect(gpt2).toMatchObject({ status: 'broken', stage: 'eager', stages: ['checkpoint', 'inputs', 'eager'] });
    expect(existsSync(join(jobWorkDir(join(runDir, 'jobs'), gpt2.id), 'components'))).toBe(false);
  });

  it('a fuzzed shape where eager fails is discarded, not counted against the export', () => {
    const bert8 = byId['bert-8-positions/dynamo/dynamic'];
    expect(bert8.status).toBe('pass');
    expect(bert8.stages).toEqual(['checkpoint', 'inputs', 'eager', 'export', 'load', 'run', 'compare', 'fuzz']);
    expect(bert8.fuzz!.discarded).toBeGreaterThan(0);
    expect(bert8.fuzz!.discardedReason).toMatch(/^eager: .*eager forward failed/);
  });
});

describe('a real export failure keeps its error whole and leaves a reproduction', () => {
  it('has errorInfo with the root type, the traceback and the cause chain in results.jsonl', () => {
    const llama = byId['tiny-llama/dynamo/static'];
    expect(llama).toMatchObject({ status: 'export-error', stage: 'export', stages: ['checkpoint', 'inputs', 'eager', 'export'] });
    const info = llama.errorInfo!;
    expect(info).toMatchObject({ stage: 'export', type: 'GuardOnDataDependentSymNode' });
    expect(info.causes!.map((c) => c.type)).toEqual(['ExportError', 'GuardOnDataDependentSymNode']);
    expect(info.traceback).toMatch(/The above exception was the direct cause/);
    expect(info.traceback).toMatch(/planted_bugs\.py/);
    expect(llama.error).toMatch(/^dynamo export failed: GuardOnDataDependentSymNode/);
  });

  it("the model's page shows the stage ladder, the traceback, the cause chain and a link to repro.md", () => {
    writeRunReport(runDir);
    const page = readFileSync(join(runDir, 'reports', `${fileName('tiny-llama')}.html`), 'utf8');
    const section = page.slice(page.indexOf('id="tiny-llama/dynamo/static"'));
    expect(section).toMatch(/GuardOnDataDependentSymNode/);
    expect(section).toMatch(/The above exception was the direct cause/);
    expect(section).toMatch(/ExportError/);
    expect(section).toMatch(/href="[^"]*tiny-llama__dynamo__static\/repro\.md"/);
  });

  it('repro.md holds the command, the script, the versions and the error; repro.py reproduces it', () => {
    const llama = byId['tiny-llama/dynamo/static'];
    const dir = jobWorkDir(join(runDir, 'jobs'), llama.id);
    const markdown = readFileSync(join(dir, 'repro.md'), 'utf8');
    expect(markdown).toMatch(/npx export-sweep run --models tiny-llama --backends dynamo --modes static --seed 7/);
    expect(markdown).toMatch(/DynamoExporter\(\)\.export\(model, inputs, export_config\)/);
    expect(markdown).toMatch(/\| torch \| \d+\.\d+/);
    expect(markdown).toMatch(/1\. `ExportError`: dynamo export failed/);
    for (const id of ['needs-torchaudio/dynamo/static', 'perceiver-raw/dynamo/static', 'bert-4-positions/dynamo/static', 'gpt2-4-positions/dynamo/generate']) {
      expect(existsSync(join(jobWorkDir(join(runDir, 'jobs'), id), 'repro.md')), id).toBe(true);
    }
    const ran = spawnSync(PYTHON_LAUNCHER, [join(dir, 'repro.py')], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 600_000 });
    expect(ran.status, ran.stderr.slice(-2000)).not.toBe(0);
    expect(ran.stdout + ran.stderr).toMatch(/GuardOnDataDependentSymNode/);
  }, 700_000);

  it("the eager failure's repro.py reproduces it too", () => {
    const dir = jobWorkDir(join(runDir, 'jobs'), 'bert-4-positions/dynamo/static');
    const ran = spawnSync(PYTHON_LAUNCHER, [join(dir, 'repro.py')], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 600_000 });
    expect(ran.status).not.toBe(0);
    expect(ran.stderr).toMatch(/RuntimeError: The size of tensor a \(7\) must match the size of tensor b \(4\)/);
  }, 700_000);
});

describe('a mismatch at a fuzzed shape', () => {
  it("says what differs, and its repro.py runs the artifact at the failing shape and prints the error", () => {
    const llama = byId['tiny-llama/dynamo/dynamic'];
    expect(llama).toMatchObject({ status: 'mismatch', stage: 'fuzz', fuzz: { counterexample: { seq: 1 } }, errorInfo: { stage: 'fuzz', type: 'OutputMismatch' } });
    expect(llama.error).toMatch(/^smallest failing shape batch=\d+ seq=1.*: logits: max abs 5\.00e-1/);
    const script = join(jobWorkDir(join(runDir, 'jobs'), llama.id), 'repro.py');
    expect(readFileSync(script, 'utf8')).toMatch(/^RUN_INPUTS = ".*\/inputs\.safetensors"/m);
    const ran = spawnSync(PYTHON_LAUNCHER, [script], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 600_000 });
    expect(ran.status, ran.stderr.slice(-2000)).not.toBe(0);
    expect(ran.stdout).toMatch(/max abs error 5\.000e-01/);
    expect(ran.stderr).toMatch(/OutputMismatch: logits: max abs error 5\.000e-01/);
  }, 700_000);
});

describe('modality honesty', () => {
  it('a VLM fed text only passes as partial, naming pixel_values among the inputs it never fed', () => {
    const qwen = byId['qwen2-vl/dynamo/static'];
    expect(qwen.status, qwen.error).toBe('partial');
    expect(qwen.inputsFed).toEqual(['attention_mask', 'input_ids']);
    expect(qwen.inputsNotFed).toContain('pixel_values');
    expect(qwen.inputsNotFed).toContain('image_grid_thw');
    expect(qwen.stage).toBeUndefined();
  });
});
