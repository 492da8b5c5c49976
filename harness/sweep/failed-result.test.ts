// A job that ends without a result of its own gets its verdict from how it ended: a dead or hung
// worker is `crashed` / `timeout`, but an error the harness's own code threw on a live worker (the
// fuzzer given an empty range) is `broken`, the harness's failure, never read as the exporter's.
import { describe, expect, it } from 'vitest';
import { fuzzSpace, type RecipeDims } from '../fuzz/arbitraries.js';
import { fuzzShapes } from '../fuzz/shape-fuzz.js';
import { failedResult } from './failed-result.js';
import { expandJobs, SAMPLE_SHAPE } from './jobs.js';

const [job] = expandJobs([{ id: 'synthetic:Tiny', class: 'Tiny', model_type: 'tiny', task: 'feature-extraction', seed: 0, config: {} }], ['onnx'], ['dynamic']);

describe('failedResult', () => {
  it("calls a fuzzer error on a live worker the harness's failure, at the rung it reached", async () => {
    // a sequence range counted with a VLM's 256 image placeholders: empty, so fast-check throws
    const dims: RecipeDims = { input_ids: { 0: ['batch', 1, 8], 1: ['sequence', 257, 320] } };
    const thrown = await fuzzShapes(fuzzSpace(dims), SAMPLE_SHAPE, async () => ({ ok: true, maxAbsError: 0, maxRelError: 0 }), { numRuns: 4, seed: 1 })
      .then(() => undefined, (error: unknown) => error as Error);
    expect(thrown).toBeInstanceOf(Error);
    const result = failedResult(job, { status: 'error', error: thrown!, ms: 5 }, ['checkpoint', 'inputs', 'eager', 'export', 'load', 'run', 'compare', 'fuzz']);
    expect(result.status).toBe('broken');
    expect(result.stage).toBe('fuzz');
    expect(result.errorInfo).toMatchObject({ stage: 'fuzz', type: thrown!.name, message: thrown!.message });
    expect(result.errorInfo?.traceback).toContain('fuzzShapes');
  });

  it('keeps a dead worker crashed and a hung one timed out, with the stderr tail', () => {
    const died = failedResult(job, { status: 'crashed', error: 'worker exited with SIGSEGV', errorType: 'WorkerCrashError', stderrTail: 'Fatal Python error', ms: 5 }, ['checkpoint', 'export']);
    expect(died).toMatchObject({ status: 'crashed', stage: 'export', stderrTail: 'Fatal Python error' });
    const hung = failedResult(job, { status: 'timeout', error: 'job timed out', errorType: 'WorkerTimeoutError', stderrTail: '', ms: 5 }, ['checkpoint']);
    expect(hung.status).toBe('timeout');
    const unstarted = failedResult(job, { status: 'unstarted', error: 'no worker started', errorType: 'Error', stderrTail: '', ms: 5 });
    expect(unstarted).toMatchObject({ status: 'broken', errorInfo: { stage: 'worker start-up' } });
  });
});
