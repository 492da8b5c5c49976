// Conformance: every selected model exports with every backend, static and dynamic; each artifact
// matches eager leaf by leaf at the traced sample and, when dynamic, at fuzzed shapes it never saw
// (size 1 along each dynamic dim among them); ONNX files also agree between onnxruntime-node and
// Python onnxruntime; .pte files run in the ExecuTorch runtime. One test per job, so vitest's
// filters (-t 'tiny-llama'), retries and reporters apply per job.
//   SWEEP_MODELS=all | a,b   (default: a small CI selection of the default set)
//   SWEEP_BACKENDS=a,b       (default: all)      SWEEP_SHAPES=N fuzzed shapes (default 10)
//   SWEEP_MODES=a,b          (default: static,dynamic; generate jobs have their own suite,
//                            suites/generation.test.ts, which adds a VLM and the planted-bug check)
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../harness/catalog/catalog.js';
import { list } from '../harness/cli/args.js';
import { loadModelEntries, selectModels } from '../harness/catalog/default-models.js';
import { reportJobToAllure, throwIfBroken } from '../harness/report/allure-job.js';
import { loadSkipLists } from '../harness/skips/skip-list.js';
import type { JobResult } from '../harness/sweep/job-result.js';
import { BACKENDS, expandJobs, MODES, SAMPLE_SHAPE, type Job, type Mode } from '../harness/sweep/jobs.js';
import { SweepSession } from '../harness/sweep/sweep.js';

const CI_MODELS = ['tiny-llama', 'tiny-qwen3', 'tiny-gpt2', 'tiny-bert', 'tiny-t5'];
const wanted = process.env.SWEEP_MODELS === 'all' ? undefined : list(process.env.SWEEP_MODELS) ?? CI_MODELS;
const models = selectModels(loadModelEntries(), wanted);
const backends = list(process.env.SWEEP_BACKENDS) ?? [...BACKENDS];
const modes = (list(process.env.SWEEP_MODES) ?? MODES.filter((mode) => mode !== 'generate')) as Mode[];
const jobs = expandJobs(models, backends, modes);
const shapes = Number(process.env.SWEEP_SHAPES ?? 10);

let session: SweepSession;
beforeAll(async () => {
  const skipLists = loadSkipLists(undefined, new Set((await loadCatalog()).map((e) => e.class)));
  session = new SweepSession({ jobs, runDir: await mkdtemp(join(tmpdir(), 'sweep-')), workers: 2, skipLists, fuzz: { numRuns: shapes, seed: 20261129 } });
});
afterAll(() => session?.close());

const detail = (r: JobResult) => `${r.id}: ${r.status} ${r.stage ?? ''} ${r.error ?? ''} max abs ${r.maxAbsError}`;

function expectConforms(job: Job, result: JobResult): void {
  if (result.status === 'skipped') {
    // a skip is only ever a skip-list entry with its upstream link
    expect(result.skip?.link).toMatch(/^https:\/\/github\.com\//);
    return;
  }
  expect(result.status, detail(result)).toBe('pass');
  expect(result.artifactBytes).toBeGreaterThan(0);
  expect(result.shapes[0].shape).toEqual(SAMPLE_SHAPE);
  const runtimes = result.shapes[0].checks.map((c) => [c.runtime, c.against]);
  if (job.backend === 'onnx') expect(runtimes).toEqual([['onnxruntime-node', 'eager'], ['onnxruntime-python', 'onnxruntime-node']]);
  if (job.backend === 'executorch') expect(runtimes).toEqual([['executorch', 'eager']]);
  if (job.mode === 'dynamic' && shapes > 0) {
    const fuzzed = result.shapes.slice(1).map((s) => s.shape);
    expect(result.fuzz?.ok).toBe(true);
    expect(fuzzed.length).toBeGreaterThanOrEqual(shapes);
    expect(fuzzed.some((s) => s.batch === 1)).toBe(true);
    if (fuzzed.some((s) => s.seq !== SAMPLE_SHAPE.seq)) expect(fuzzed.some((s) => s.seq === 1)).toBe(true);
  }
}

describe.each(backends)('%s', (backend) => {
  it.concurrent.each(jobs.filter((job) => job.backend === backend).map((job) => [job.id, job] as const))('%s', async (_, job) => {
    const result = await session.run(job);
    await reportJobToAllure(job, result);
    throwIfBroken(result); // allure files a job that never reached the exporter as broken, not failed
    expectConforms(job, result);
  });
});
