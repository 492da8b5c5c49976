// Conformance: every model of the default set exports with every backend, static and dynamic; each
// artifact matches eager at the traced shape and, when dynamic, at shapes it never saw (batch and
// sequence 1 among them); ONNX files also agree between onnxruntime-node and Python onnxruntime.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelEntries } from '../harness/catalog/default-models.js';
import { ResultStore } from '../harness/results/result-store.js';
import type { JobResult } from '../harness/sweep/job-result.js';
import { BACKENDS, DYNAMIC_CHECK_SHAPES, expandJobs, MODES } from '../harness/sweep/jobs.js';
import { runSweep, type SweepRun } from '../harness/sweep/sweep.js';

const models = loadModelEntries();
const jobs = expandJobs(models, BACKENDS, MODES);
let run: SweepRun;

beforeAll(async () => {
  run = await runSweep({ jobs, runDir: await mkdtemp(join(tmpdir(), 'sweep-')), workers: 2 });
}, 900_000);

const describeFailures = (results: JobResult[]) =>
  results.filter((r) => r.status !== 'pass').map((r) => `${r.id}: ${r.status} ${r.stage ?? ''} ${r.error ?? r.maxAbsError}`);

describe('export sweep of the default models', () => {
  it('passes every job and appends one result line per job', () => {
    expect(describeFailures(run.results)).toEqual([]);
    expect(new ResultStore(run.resultsPath).read().map((r) => r.id).sort()).toEqual(jobs.map((j) => j.id).sort());
  });

  it.each(BACKENDS)('%s: dynamic exports are checked at unseen shapes, batch 1 and sequence 1 included', (backend) => {
    for (const result of run.results.filter((r) => r.backend === backend && r.mode === 'dynamic')) {
      expect(result.shapes.map((s) => s.shape)).toEqual([{ batch: 2, seq: 7 }, ...DYNAMIC_CHECK_SHAPES]);
      expect(result.shapes.some((s) => s.shape.batch === 1 && s.shape.seq === 1)).toBe(true);
      expect(result.maxAbsError).toBeLessThan(1e-4);
      expect(result.artifactBytes).toBeGreaterThan(0);
    }
  });

  it('onnx: onnxruntime-node is compared with eager, Python onnxruntime with onnxruntime-node', () => {
    const onnx = run.results.filter((r) => r.backend === 'onnx');
    expect(onnx).toHaveLength(models.length * 2);
    for (const result of onnx) {
      for (const shape of result.shapes) {
        expect(shape.checks.map((c) => [c.runtime, c.against])).toEqual([['onnxruntime-node', 'eager'], ['onnxruntime-python', 'onnxruntime-node']]);
        expect(shape.checks.every((c) => c.ok)).toBe(true);
      }
    }
  });
});
