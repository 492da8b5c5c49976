// A generate job climbs the same ladder (job-result.ts STAGES): the checkpoint, the prompts, eager
// generate on every prompt, the loop over the unexported components on the first, and only then
// the export, so a model eager cannot generate with, or the loop cannot drive, is ``broken``, not an
// export failure. Then: the model's generation components (prefill or the multimodal parts, decode, and
// an encoder-decoder's encoder) exported by the worker, then a greedy loop over them at two prompt
// lengths, batch 2, left padding, token by token against eager generate(do_sample=False). The ONNX
// loop runs here in onnxruntime-node (harness/generation/onnx-generate.ts); Dynamo and ExecuTorch
// loops run in the worker. A first difference where eager's top-2 logit gap is tiny is a tie.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GenerationInputError, onnxGreedyGenerate } from '../generation/onnx-generate.js';
import { matchTokens } from '../generation/token-match.js';
import { readSafetensors, writeSafetensors } from '../tensors/safetensors.js';
import type { PythonWorker } from '../worker/python-worker.js';
import { baseResult, type GenerationCheck, type JobResult } from './job-result.js';
import { Ladder, StageError } from './job-stage.js';
import { jobWorkDir, type Job } from './jobs.js';
import { DEFAULT_MODELS_PER_WORKER, evictModels, loadedClass, useModel } from './model-cache.js';
import type { JobContext } from './run-job.js';

export const GENERATE_PROMPT_LENGTHS = [5, 9];
export const GENERATE_STEPS = 8;

/** Left-padded prompts of batch 2 as the recipe builds them, without the decoder ids that generate
 * makes itself; the files the export and every loop read, and what the recipe fed and left out. */
async function writePrompts(worker: PythonWorker, handle: string, dir: string): Promise<{ files: string[]; fed: string[]; notFed: string[] }> {
  const files: string[] = [];
  let fed: string[] = [];
  let notFed: string[] = [];
  for (const length of GENERATE_PROMPT_LENGTHS) {
    const sample = join(dir, `sample-${length}.safetensors`);
    const recipe = await worker.request('sample_inputs', { model: handle, out: sample, batch: 2, seq: length, padding: 'left', seed: length });
    const { decoder_input_ids: _, ...prompt } = await readSafetensors(sample);
    const file = join(dir, `prompt-${length}.safetensors`);
    await writeSafetensors(file, prompt);
    files.push(file);
    fed = Object.keys(prompt);
    notFed = recipe.not_fed;
  }
  return { files, fed, notFed };
}

export async function runGenerateJob(worker: PythonWorker, job: Job, context: JobContext): Promise<JobResult> {
  const start = performance.now();
  const dir = jobWorkDir(context.workDir, job.id);
  await mkdir(dir, { recursive: true });
  const durationsMs: JobResult['durationsMs'] = { total: 0, eager: 0, run: 0 };
  const base = baseResult(job);
  const generation: GenerationCheck = { steps: GENERATE_STEPS, runtime: job.backend === 'onnx' ? 'onnxruntime-node' : job.backend, prompts: [] };
  const finish = (fields: Partial<JobResult>): JobResult => ({
    ...base, status: 'pass', shapes: [], generation, artifactPath: exported?.manifest, ...fields,
    durationsMs: { ...durationsMs, total: performance.now() - start }, finishedAt: new Date().toISOString(),
  });
  const ladder = new Ladder(context.stages);
  let exported: { manifest: string; components: Record<string, { artifact: string }> } | undefined;
  let inputsFed: string[] | undefined;
  let inputsNotFed: string[] | undefined;
  const reached = () => ({ stages: [...ladder.reached], inputsFed, inputsNotFed: inputsNotFed?.length ? inputsNotFed : undefined });
  try {
    const { handle, loadMs, loaded } = await ladder.step('checkpoint', () => useModel(worker, job.model.id, () => worker.request('load', {
      model_dir: context.modelDirs.get(job.model.id)!, handle: job.model.id, trust_remote_code: context.trustRemoteCode,
    })));
    Object.assign(base, loadedClass(loaded));
    if (loadMs !== undefined) durationsMs.load = loadMs;
    const { files: prompts, fed, notFed } = await ladder.step('inputs', () => writePrompts(worker, handle, dir));
    inputsFed = fed;
    inputsNotFed = notFed;
    const eagers: { tokens: number[][]; gaps: number[][] }[] = [];
    for (const prompt of prompts) {
      const eager = await ladder.step('eager', () => worker.request('generate_eager', { model: handle, inputs: prompt, max_new_tokens: GENERATE_STEPS }));
      durationsMs.eager! += eager.ms;
      eagers.push(eager);
    }
    // The loop's own glue first, over the components before any export: a loop that does not give
    // eager's tokens there (a multimodal merge it cannot do) could not judge an export, so that is
    // the harness's failure (broken at eager), never the exporter's.
    await ladder.step('eager', async () => {
      const { tokens, ms } = await worker.request('generate_unexported', { model: handle, inputs: prompts[0], max_new_tokens: GENERATE_STEPS });
      durationsMs.eager! += ms;
      const failure = tokens && matchTokens(eagers[0].tokens, tokens, eagers[0].gaps).failures[0];
      if (failure) {
        throw new GenerationInputError(`the greedy loop over the unexported components gives token ${failure.exported} at step ${failure.step} of row ${failure.row} `
          + `where eager generate gives ${failure.eager} (top-2 gap ${failure.gap.toExponential(2)}): the loop's glue does not reproduce generate for this model, so no export of it is judged`);
      }
    });
    const manifest = await ladder.step('export', () => worker.request('export_generation', {
      model: handle, backend: job.backend, inputs: prompts[0], more_inputs: prompts.slice(1), out_dir: join(dir, 'components'),
      config: { ...context.exportConfig, dynamic: true },
    }));
    exported = manifest;
    durationsMs.export = Object.values(manifest.components).reduce((sum, c) => sum + c.export_ms, 0);
    for (const [index, prompt] of prompts.entries()) {
      const eager = eagers[index];
      const loopStart = performance.now();
      if (job.backend === 'onnx') ladder.reach('load');
      const tokens = await ladder.step('generate', async () => job.backend === 'onnx'
        ? (await onnxGreedyGenerate(context.onnx, manifest, await readSafetensors(prompt), GENERATE_STEPS)).tokens
        : (await worker.request('generate_artifact', { manifest: manifest.manifest, inputs: prompt, max_new_tokens: GENERATE_STEPS })).tokens);
      durationsMs.run! += performance.now() - loopStart;
      const match = matchTokens(eager.tokens, tokens, eager.gaps);
      generation.prompts.push({ length: GENERATE_PROMPT_LENGTHS[index], eager: eager.tokens, exported: tokens, ...match });
    }
    const failed = generation.prompts.find((p) => !p.ok);
    const first = failed?.failures[0];
    const error = failed && `prompt length ${failed.length}, row ${first!.row}: token ${first!.exported} at step ${first!.step} where eager has ${first!.eager} (top-2 gap ${first!.gap.toExponential(2)})`;
    return finish({
      ...reached(),
      ...(error ? { status: 'mismatch', stage: 'generate', error, errorInfo: { stage: 'generate', type: 'TokenMismatch', message: error } }
        : inputsNotFed?.length ? { status: 'partial' } : {}),
    });
  } catch (error) {
    if (!(error instanceof StageError)) throw error;
    return finish({ ...reached(), status: error.status, stage: error.stage, errorInfo: error.info, error: error.message.split('\n').slice(0, 5).join('\n') });
  } finally {
    if (job.backend === 'onnx') for (const { artifact } of Object.values(exported?.components ?? {})) await context.onnx.release(artifact);
    await evictModels(worker, context.modelsPerWorker ?? DEFAULT_MODELS_PER_WORKER);
  }
}
