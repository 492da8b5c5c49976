// Coverage of the tiny-config generator: the share of catalog classes whose tiny config
// instantiates and runs one eager forward, with the failures grouped by reason.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Ops } from '../worker/protocol.js';
import { WorkerPool } from '../worker/pool.js';
import type { CatalogEntry } from './catalog.js';
import type { TinyOverrides } from './tiny-overrides.js';

export type ProbeResult = Ops['probe_tiny']['result'] & { class: string; model_type: string };

export interface CoverageReport {
  classes: number;
  working: number;
  share: number;
  slowest: ProbeResult[];
  largest: ProbeResult[];
  /** Failures grouped by stage and first error line, largest group first. */
  failures: { stage: string; error: string; classes: string[] }[];
  results: ProbeResult[];
}

export const COVERAGE_RATCHET_PATH = fileURLToPath(new URL('./tiny-coverage-ratchet.json', import.meta.url));

/** The recorded floor: coverage may rise, never fall below it (update the file when it rises). */
export function coverageFloor(path = COVERAGE_RATCHET_PATH): number {
  return (JSON.parse(readFileSync(path, 'utf8')) as { min_share: number }).min_share;
}

export async function measureCoverage(entries: CatalogEntry[], overrides: TinyOverrides, pool: WorkerPool): Promise<CoverageReport> {
  const results = await Promise.all(entries.map(async (entry): Promise<ProbeResult> => {
    const outcome = await pool.run((worker) => worker.request('probe_tiny', { model_class: entry.class, model_type: entry.model_type, overrides: overrides[entry.model_type] }), { timeoutMs: 120_000 });
    const base = { class: entry.class, model_type: entry.model_type };
    if (outcome.status === 'ok') return { ...base, ...outcome.value };
    const error = outcome.status === 'error' ? outcome.error.message : `${outcome.status}: ${outcome.error}`;
    return { ...base, ok: false, stage: 'forward', error, ms: outcome.ms };
  }));
  const working = results.filter((r) => r.ok);
  const groups = new Map<string, { stage: string; error: string; classes: string[] }>();
  for (const r of results.filter((r) => !r.ok)) {
    const error = (r.error ?? '').replace(/\d+/g, 'N').slice(0, 100);
    const key = `${r.stage} ${error}`;
    const group = groups.get(key) ?? { stage: r.stage ?? '', error: r.error ?? '', classes: [] };
    group.classes.push(r.class);
    groups.set(key, group);
  }
  return {
    classes: results.length,
    working: working.length,
    share: results.length ? working.length / results.length : 0,
    slowest: [...working].sort((a, b) => b.ms - a.ms).slice(0, 5),
    largest: [...working].sort((a, b) => (b.parameters ?? 0) - (a.parameters ?? 0)).slice(0, 5),
    failures: [...groups.values()].sort((a, b) => b.classes.length - a.classes.length),
    results,
  };
}
