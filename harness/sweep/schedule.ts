// Longest jobs first: a sweep's wall time is set by its tail, so the slow exports (ExecuTorch,
// dynamic shapes, big models) start early and the quick ones fill the gaps. Durations come from
// earlier runs on this pin set; a job never seen is estimated from its backend and mode. A model's
// jobs are kept together, so the workers that loaded it use it for its other backends.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheRoot } from '../python/paths.js';
import { pinSetKey } from '../python/pin-set.js';
import type { JobResult } from './job-result.js';
import type { Job } from './jobs.js';

// Typical job times on a 2-core machine for a tiny model (measured in the default sweep).
const ESTIMATE_MS: Record<string, number> = { executorch: 20_000, onnx: 8_000, dynamo: 3_000 };

export function timingsPath(): string {
  return join(cacheRoot(), 'timings', `${pinSetKey()}.json`);
}

export function loadTimings(path = timingsPath()): Record<string, number> {
  try {
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, number>) : {};
  } catch {
    return {}; // a damaged timings file only costs the ordering
  }
}

export function saveTimings(results: JobResult[], path = timingsPath()): void {
  const timings = loadTimings(path);
  // only jobs that ran in full, through our exporters: a peer's job shares its id with ours
  const full = (r: JobResult) => r.status !== 'skipped' && !r.artifactCached && !r.resultCached && !r.implementation;
  for (const r of results) if (full(r)) timings[r.id] = Math.round(r.durationsMs.total);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(timings));
}

export function expectedMs(job: Job, timings: Record<string, number>): number {
  return timings[job.id] ?? (ESTIMATE_MS[job.backend] ?? 5_000) * (job.mode === 'dynamic' ? 1.5 : 1);
}

/** Models in the order of their longest job, each model's jobs longest first: the long jobs still
 * start early, and a worker rarely needs more than two models loaded (model-cache.ts). */
export function longestFirst(jobs: Job[], timings: Record<string, number>): Job[] {
  const byModel = new Map<string, Job[]>();
  const sorted = [...jobs].sort((a, b) => expectedMs(b, timings) - expectedMs(a, timings) || a.id.localeCompare(b.id));
  for (const job of sorted) byModel.set(job.model.id, [...(byModel.get(job.model.id) ?? []), job]);
  return [...byModel.values()].flat();
}
