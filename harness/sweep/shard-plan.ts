// --shard i/n by class, balanced by cost: all of a model's jobs go to one shard (its tiny model is
// built and loaded once, not once per job), and models are dealt longest first to the shard with the
// least work so far (LPT), from the recorded job costs. The same selection and cost table give the
// same shards on every machine.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../python/paths.js';
import type { JobResult } from './job-result.js';
import type { Job, Shard } from './jobs.js';

export interface CostTable {
  /** Seconds per job by backend/mode, for a class or job not measured. */
  defaults: Record<string, number>;
  /** Seconds a model costs outside its jobs (worker start, tiny checkpoint, load). */
  perClass: number;
  /** Measured seconds by model class, then backend/mode. */
  classes: Record<string, Record<string, number>>;
}

export const COST_TABLE = join(REPO_ROOT, 'harness', 'sweep', 'job-costs.json');

export function loadCostTable(path = COST_TABLE): CostTable {
  return JSON.parse(readFileSync(path, 'utf8')) as CostTable;
}

const FALLBACK_SECONDS = 10;

export function jobCost(job: Pick<Job, 'backend' | 'mode'> & { model: { class: string } }, table: CostTable): number {
  const key = `${job.backend}/${job.mode}`;
  return table.classes[job.model.class]?.[key] ?? table.defaults[key] ?? FALLBACK_SECONDS;
}

interface Group<T> { model: string; jobs: T[]; cost: number }

/** The jobs of each model together, with their estimated cost. */
function groupsByModel<T extends Job>(jobs: T[], table: CostTable): Group<T>[] {
  const groups = new Map<string, Group<T>>();
  for (const job of jobs) {
    const group = groups.get(job.model.id) ?? { model: job.model.id, jobs: [], cost: table.perClass };
    group.jobs.push(job);
    group.cost += jobCost(job, table);
    groups.set(job.model.id, group);
  }
  return [...groups.values()];
}

/** Every shard's models and estimated seconds, shard 1 first. */
export function planShards<T extends Job>(jobs: T[], count: number, table: CostTable): { jobs: T[]; cost: number }[] {
  const shards = Array.from({ length: count }, () => ({ jobs: [] as T[], cost: 0 }));
  const groups = groupsByModel(jobs, table).sort((a, b) => b.cost - a.cost || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
  for (const group of groups) {
    // the least loaded shard, the lowest index on a tie, so the plan is deterministic
    const target = shards.reduce((best, shard) => (shard.cost < best.cost ? shard : best), shards[0]);
    target.jobs.push(...group.jobs);
    target.cost += group.cost;
  }
  for (const shard of shards) shard.jobs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return shards;
}

/** Shard i of n: disjoint, together the whole selection, each model in one shard. */
export function shardJobs<T extends Job>(jobs: T[], shard: Shard, table: CostTable = loadCostTable()): T[] {
  return planShards(jobs, shard.count, table)[shard.index - 1].jobs;
}

/** ``table`` with the job times of ``results`` recorded: each measured job replaces its class's entry.
 * Skipped jobs cost nothing and reused results or artifacts did not pay their export, so they are left out. */
export function recordCosts(table: CostTable, results: Iterable<JobResult>): { table: CostTable; recorded: number } {
  const classes = structuredClone(table.classes);
  let recorded = 0;
  for (const result of results) {
    const total = result.durationsMs?.total;
    if (result.status === 'skipped' || result.resultCached || result.artifactCached || !total) continue;
    classes[result.modelClass] = { ...classes[result.modelClass], [`${result.backend}/${result.mode}`]: Math.round(total / 100) / 10 };
    recorded++;
  }
  const sorted = Object.fromEntries(Object.entries(classes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, costs]) => [name, Object.fromEntries(Object.entries(costs).sort(([a], [b]) => (a < b ? -1 : 1)))]));
  return { table: { ...table, classes: sorted }, recorded };
}
