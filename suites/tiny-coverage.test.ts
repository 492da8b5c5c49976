// The tiny-config generator over the whole catalog: the share of classes that instantiate and run one
// eager forward must not fall below the recorded floor (harness/catalog/tiny-coverage-ratchet.json).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../harness/catalog/catalog.js';
import { coverageFloor, measureCoverage } from '../harness/catalog/tiny-coverage.js';
import { loadTinyOverrides } from '../harness/catalog/tiny-overrides.js';
import { REPO_ROOT } from '../harness/python/paths.js';
import { WorkerPool } from '../harness/worker/pool.js';

const pool = new WorkerPool({ size: 2, recycleAfterJobs: 150 });
afterAll(() => pool.close());

describe('tiny-config coverage', () => {
  it('does not drop below the ratchet', async () => {
    const catalog = await loadCatalog();
    const report = await measureCoverage(catalog, loadTinyOverrides(undefined, new Set(catalog.map((e) => e.model_type))), pool);
    const out = join(REPO_ROOT, 'reports', 'tiny-coverage.json');
    mkdirSync(join(REPO_ROOT, 'reports'), { recursive: true });
    writeFileSync(out, JSON.stringify(report, null, 1));
    expect(report.classes).toBe(catalog.length);
    expect(report.share, `coverage ${report.working}/${report.classes}; see ${out}`).toBeGreaterThanOrEqual(coverageFloor());
  }, 1_800_000);
});
