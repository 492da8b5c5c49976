// JobResults shaped as the engine writes them to results.jsonl (and read back through JSON, so an
// infinite error is null), for the renderers' tests: a broken job, a partial one, a shape mismatch,
// a value mismatch, a pass reused from an earlier run, an xfail and an xpass. The errors are shaped like the failures they
// stand for (a LLaVA whose image tokens and features disagree; an output specialised to seq 1).
import type { SkipRef } from '../skips/skip-list.js';
import type { JobResult } from '../sweep/job-result.js';

const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const finishedAt = '2026-11-30T09:00:00.000Z';

export const BROKEN_AT_EAGER: JobResult = roundTrip({
  id: 'tiny-llava/onnx/static', model: 'tiny-llava', modelClass: 'LlavaForConditionalGeneration', backend: 'onnx', mode: 'static',
  status: 'broken', stage: 'eager', stages: ['checkpoint', 'inputs', 'eager'],
  errorInfo: {
    stage: 'eager', type: 'RuntimeError',
    message: 'eager forward of LlavaForConditionalGeneration failed on the recipe inputs (input_ids, attention_mask, pixel_values)',
    traceback: [
      'Traceback (most recent call last):',
      '  File "harness/python/worker.py", line 212, in eager',
      '    outputs = model(**inputs)',
      '  File "transformers/models/llava/modeling_llava.py", line 441, in forward',
      '    special_image_mask = self.get_placeholder_mask(input_ids, inputs_embeds, image_features)',
      'ValueError: Image features and image tokens do not match: tokens: 0, features 576',
    ].join('\n'),
    causes: [
      { type: 'ValueError', message: 'Image features and image tokens do not match: tokens: 0, features 576' },
      { type: 'IndexError', message: 'index 0 is out of bounds for dimension 0 with size 0' },
    ],
    stderrTail: 'W1130 09:00:01 worker.py:88] pixel_values resized from 30x30 to 24x24',
  },
  error: 'RuntimeError: eager forward of LlavaForConditionalGeneration failed on the recipe inputs (input_ids, attention_mask, pixel_values)',
  inputsFed: ['input_ids', 'attention_mask', 'pixel_values'],
  durationsMs: { load: 420, eager: 80, total: 700 }, shapes: [], finishedAt,
} satisfies JobResult);

export const PARTIAL: JobResult = roundTrip({
  id: 'tiny-llava/onnx/dynamic', model: 'tiny-llava', modelClass: 'LlavaForConditionalGeneration', backend: 'onnx', mode: 'dynamic',
  status: 'partial', stages: ['checkpoint', 'inputs', 'eager', 'export', 'load', 'run', 'compare', 'fuzz'],
  inputsFed: ['input_ids', 'attention_mask'], inputsNotFed: ['pixel_values', 'image_sizes'],
  maxAbsError: 2.4e-6, maxRelError: 1.1e-5,
  durationsMs: { load: 400, export: 5200, eager: 90, run: 12, total: 6400 }, artifactBytes: 2_400_000,
  shapes: [{
    shape: { batch: 2, seq: 7 }, ok: true, maxAbsError: 2.4e-6, maxRelError: 1.1e-5,
    checks: [{
      runtime: 'onnxruntime-node', against: 'eager', ok: true, maxAbsError: 2.4e-6, maxRelError: 1.1e-5, failures: [],
      leaves: [{ name: 'logits', maxAbsError: 2.4e-6, maxRelError: 1.1e-5 }],
    }],
  }],
  finishedAt,
} satisfies JobResult);

export const SHAPE_MISMATCH: JobResult = roundTrip({
  id: 'tiny-gpt2/executorch/static', model: 'tiny-gpt2', modelClass: 'GPT2LMHeadModel', backend: 'executorch', mode: 'static',
  status: 'mismatch', stage: 'compare', stages: ['checkpoint', 'inputs', 'eager', 'export', 'load', 'run', 'compare'],
  errorInfo: { stage: 'compare', type: 'OutputMismatch', message: 'logits: shape [2, 1, 96], eager [2, 7, 96]' },
  error: 'logits: shape [2, 1, 96], eager [2, 7, 96]',
  maxAbsError: Infinity, maxRelError: Infinity,
  durationsMs: { export: 3100, run: 30, total: 4000 },
  shapes: [{
    shape: { batch: 2, seq: 7 }, ok: false, maxAbsError: Infinity, maxRelError: Infinity,
    checks: [{
      runtime: 'executorch', against: 'eager', ok: false, maxAbsError: Infinity, maxRelError: Infinity,
      failures: [
        { name: 'logits', ok: false, problem: 'shape', expectedShape: [2, 7, 96], actualShape: [2, 1, 96], dtype: 'float32', maxAbsError: Infinity, maxRelError: Infinity, outOfToleranceShare: 1 },
        {
          name: 'past_key_values.0.key', ok: false, problem: 'value', expectedShape: [2, 2, 7, 8], actualShape: [2, 2, 7, 8], dtype: 'float32',
          tolerance: { atol: 0.0001, rtol: 0.001, scaleTol: 5e-5, scale: 2.5, effectiveAtol: 0.000225 }, maxAbsError: 0.031, maxRelError: 0.5, worstIndex: [1, 0, 6, 3], outOfToleranceShare: 0.125,
        },
      ],
      leaves: [
        { name: 'logits', maxAbsError: Infinity, maxRelError: Infinity },
        { name: 'past_key_values.0.key', maxAbsError: 0.031, maxRelError: 0.5 },
        { name: 'past_key_values.0.value', maxAbsError: 3e-7, maxRelError: 2e-6 },
      ],
    }],
  }],
  finishedAt,
} satisfies JobResult);

export const REUSED_PASS: JobResult = roundTrip({
  id: 'tiny-gpt2/executorch/dynamic', model: 'tiny-gpt2', modelClass: 'GPT2LMHeadModel', backend: 'executorch', mode: 'dynamic',
  status: 'pass', stages: ['checkpoint', 'inputs', 'eager', 'export', 'load', 'run', 'compare', 'fuzz'],
  resultCached: true, reusedFrom: { runDir: 'reports/runs/2026-11-29-nightly', finishedAt: '2026-11-29T03:12:00.000Z' },
  maxAbsError: 1.2e-6, maxRelError: 4e-6, durationsMs: { total: 0 }, shapes: [], finishedAt,
} satisfies JobResult);

/** The same job ids in a baseline where all of them passed. */
export function passedBaseline(results: JobResult[]): JobResult[] {
  return results.map((r) => ({
    ...r, status: 'pass', stage: undefined, errorInfo: undefined, error: undefined, inputsNotFed: undefined, maxAbsError: 1e-6, maxRelError: 1e-5,
    stages: ['checkpoint', 'inputs', 'eager', 'export', 'load', 'run', 'compare'],
  }));
}

/** An xfail entry on the GPT-2 ExecuTorch jobs, expecting the shape mismatch above. */
export const XFAIL_ENTRY: SkipRef = {
  list: 'export-skip', file: 'harness/architectures/architectures.json', line: 7, kind: 'xfail', class: 'GPT2LMHeadModel',
  error: 'logits: shape', reason: 'r', todo: 't', link: 'https://github.com/pytorch/executorch/issues/1',
};

/** The shape mismatch as the entry expects it, and the reused pass under the same entry (stale). */
export const XFAIL: JobResult = { ...SHAPE_MISMATCH, status: 'xfail', probed: 'mismatch', skip: XFAIL_ENTRY };
export const XPASS: JobResult = { ...REUSED_PASS, status: 'xpass', probed: 'pass', staleSkip: true, skip: XFAIL_ENTRY };
