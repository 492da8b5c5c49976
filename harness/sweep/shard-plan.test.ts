import { describe, expect, it } from 'vitest';
import type { ModelEntry } from '../catalog/default-models.js';
import { expandJobs, type Job } from './jobs.js';
import type { JobResult } from './job-result.js';
import { jobCost, loadCostTable, planShards, recordCosts, shardJobs, type CostTable } from './shard-plan.js';

const model = (id: string, cls = `${id}Model`): ModelEntry => ({ id, class: cls, model_type: id, task: 'feature-extraction', seed: 0 } as unknown as ModelEntry);
const TABLE: CostTable = {
  defaults: { 'dynamo/static': 3, 'dynamo/dynamic': 15, 'onnx/static': 6, 'onnx/dynamic': 19, 'executorch/static': 8, 'executorch/dynamic': 24 },
  perClass: 4.5,
  classes: { HeavyModel: { 'executorch/dynamic': 400 } },
};
const ALL_BACKENDS = ['dynamo', 'onnx', 'executorch'];

function jobsOf(count: number): Job[] {
  return expandJobs(Array.from({ length: count }, (_, i) => model(`m${String(i).padStart(3, '0')}`)), ALL_BACKENDS, ['static', 'dynamic']);
}

describe('shards by class, balanced by cost', () => {
  it('keeps each model whole in one shard, the shards disjoint and together the selection', () => {
    const jobs = jobsOf(60);
    const shards = planShards(jobs, 16, TABLE);
    const owner = new Map<string, number>();
    shards.forEach((shard, i) => shard.jobs.forEach((job) => {
      expect(owner.get(job.model.id) ?? i).toBe(i);
      owner.set(job.model.id, i);
    }));
    expect(shards.flatMap((s) => s.jobs.map((j) => j.id)).sort()).toEqual(jobs.map((j) => j.id).sort());
    // static and dynamic jobs of a model travel together (every-n-th by id put them in alternate shards)
    for (const shard of shards) expect(new Set(shard.jobs.map((j) => j.mode))).toEqual(new Set(['static', 'dynamic']));
  });

  it('is within 15% between shards on a catalog-sized selection, and the same whatever the job order', () => {
    // 300 classes of spread costs (2 s to 200 s a job), about what the catalog's 1444 give 16 shards per shard
    const jobs = jobsOf(300);
    const measured: CostTable = { ...TABLE, classes: Object.fromEntries(jobs.map((job, i) => [job.model.class, { [`${job.backend}/${job.mode}`]: 2 + ((i * 7919) % 199) }])) };
    const costs = planShards(jobs, 16, measured).map((s) => s.cost);
    expect(Math.max(...costs) / Math.min(...costs)).toBeLessThanOrEqual(1.15);
    const reversed = [...jobs].reverse();
    for (let i = 1; i <= 16; i++) {
      expect(shardJobs(reversed, { index: i, count: 16 }, TABLE).map((j) => j.id)).toEqual(shardJobs(jobs, { index: i, count: 16 }, TABLE).map((j) => j.id));
    }
  });

  it('costs a measured class by its record and an unseen one by the defaults, and deals the heaviest first', () => {
    const heavy = expandJobs([model('heavy', 'HeavyModel')], ALL_BACKENDS, ['dynamic']);
    expect(jobCost(heavy.find((j) => j.backend === 'executorch')!, TABLE)).toBe(400);
    expect(jobCost(heavy.find((j) => j.backend === 'onnx')!, TABLE)).toBe(19);
    const shards = planShards([...jobsOf(4), ...heavy], 2, TABLE);
    // the 438.5 s model alone outweighs the 4 others (79.5 s each): it fills shard 1, they all go to shard 2
    expect(new Set(shards[0].jobs.map((j) => j.model.id))).toEqual(new Set(['heavy']));
    expect(shards[1].jobs).toHaveLength(24);
  });

  it('reads the table in the repository, measured from a real sweep', () => {
    const table = loadCostTable();
    expect(table.perClass).toBeGreaterThan(0);
    for (const backend of ALL_BACKENDS) for (const mode of ['static', 'dynamic', 'generate']) expect(table.defaults[`${backend}/${mode}`]).toBeGreaterThan(0);
    expect(Object.keys(table.classes).length).toBeGreaterThanOrEqual(15);
  });
});

describe('the cost table refreshed from a run', () => {
  it('records measured jobs and leaves out skipped, reused and unfinished ones', () => {
    const base = { model: 'tiny-x', modelClass: 'XModel', backend: 'onnx', shapes: [], finishedAt: '' };
    const { table, recorded } = recordCosts(TABLE, [
      { ...base, id: 'a', mode: 'static', status: 'pass', durationsMs: { total: 12_340 } },
      { ...base, id: 'b', mode: 'dynamic', status: 'mismatch', durationsMs: { total: 30_000 } },
      { ...base, id: 'c', backend: 'dynamo', mode: 'static', status: 'pass', resultCached: true, durationsMs: { total: 5 } },
      { ...base, id: 'd', backend: 'dynamo', mode: 'dynamic', status: 'pass', artifactCached: true, durationsMs: { total: 900 } },
      { ...base, id: 'e', backend: 'executorch', mode: 'static', status: 'skipped', durationsMs: { total: 0 } },
    ] as JobResult[]);
    expect(recorded).toBe(2);
    expect(table.classes.XModel).toEqual({ 'onnx/dynamic': 30, 'onnx/static': 12.3 });
    expect(table.classes.HeavyModel).toEqual(TABLE.classes.HeavyModel);
    expect(TABLE.classes.XModel).toBeUndefined(); // the table passed in is not changed
  });
});
