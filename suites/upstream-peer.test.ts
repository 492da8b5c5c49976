// The same sweep through the pinned transformers' own exporters (transformers.exporters), the peer
// our pass rate and errors are compared with: every backend, static and dynamic, ends each job in a
// real status with the implementation recorded, on the same runtimes and comparisons as ours.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelEntries, selectModels } from '../harness/catalog/default-models.js';
import { RunFolder } from '../harness/results/run-folder.js';
import type { JobStatus } from '../harness/sweep/job-result.js';
import { expandJobs } from '../harness/sweep/jobs.js';
import { runSweep } from '../harness/sweep/sweep.js';

// what an export or its artifact can come to; crashed and timeout would be the harness's failure here
const REAL: JobStatus[] = ['pass', 'mismatch', 'runtimes-disagree', 'export-error', 'runtime-error'];

describe('export-sweep run --implementation upstream', () => {
  it('runs tiny-llama through upstream on every backend, static and dynamic', async () => {
    const runDir = join(await mkdtemp(join(tmpdir(), 'upstream-peer-')), 'run');
    const jobs = expandJobs(selectModels(loadModelEntries(), ['tiny-llama']), ['dynamo', 'onnx', 'executorch'], ['static', 'dynamic']);
    const run = await runSweep({ jobs, runDir, workers: 2, implementation: 'upstream', fuzz: { numRuns: 2, seed: 1 } });

    expect(run.results.map((r) => r.id).sort()).toEqual(jobs.map((j) => j.id).sort());
    for (const result of run.results) {
      expect(REAL, `${result.id}: ${result.status} ${result.error ?? ''}`).toContain(result.status);
      expect(result.implementation, result.id).toBe('upstream');
      // an upstream failure says it is upstream's, so it is never taken for ours
      if (result.status === 'export-error') expect(result.error).toMatch(/upstream \w+ export failed/);
    }
    // the wiring holds end to end: upstream's program, saved its way, run and compared leaf by leaf
    const baseline = run.results.find((r) => r.id === 'tiny-llama/dynamo/static')!;
    expect(baseline.status, baseline.error).toBe('pass');
    const folder = new RunFolder(runDir);
    expect(folder.readManifest().selection.implementation).toBe('upstream');
    expect(folder.results().every((r) => r.implementation === 'upstream')).toBe(true);
  });
});
