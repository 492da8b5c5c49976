// Conformance: every model of the default set exports with torch.export, static and dynamic, and
// the exported program matches eager at the sample shape and, when dynamic, at unseen shapes.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelEntries } from '../harness/catalog/default-models.js';
import { ResultStore } from '../harness/results/result-store.js';
import { expandJobs } from '../harness/sweep/jobs.js';
import { runSweep } from '../harness/sweep/sweep.js';

describe('dynamo export sweep of the default models', () => {
  it('passes every job and writes one result line per job', async () => {
    const models = loadModelEntries();
    const jobs = expandJobs(models, ['dynamo'], ['static', 'dynamic']);
    const runDir = await mkdtemp(join(tmpdir(), 'sweep-'));
    const run = await runSweep({ jobs, runDir, workers: 2 });
    const failures = run.results.filter((r) => r.status !== 'pass').map((r) => `${r.id}: ${r.status} ${r.stage ?? ''} ${r.error ?? ''}`);
    expect(failures).toEqual([]);
    expect(run.results).toHaveLength(models.length * 2);
    expect(new ResultStore(run.resultsPath).read().map((r) => r.id).sort()).toEqual(jobs.map((j) => j.id).sort());
    for (const result of run.results) {
      expect(result.shapes.length).toBe(result.mode === 'dynamic' ? 3 : 1);
      expect(result.maxAbsError).toBeLessThan(1e-4);
      expect(result.artifactBytes).toBeGreaterThan(0);
    }
  });
});
