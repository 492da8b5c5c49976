// Skip-list expectations against real jobs: the repo's own xfail entry (Gemma3's dynamic guard) fails
// as it expects; an xfail entry on a job that passes is xpass, a failure of the run; the same real
// failure under an xfail entry expecting another error is a regression with its own status, the entry
// named; an entry scoped to another pin set is not applied, and a baseline entry is not applied in a
// run under another pin set; a type-scoped entry covers three classes.
import { copyFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, type CatalogEntry } from '../harness/catalog/catalog.js';
import { loadModelEntries, selectModels } from '../harness/catalog/default-models.js';
import { sourceEntry } from '../harness/cli/selection.js';
import { REPO_ROOT } from '../harness/python/paths.js';
import { RunFolder } from '../harness/results/run-folder.js';
import { summary } from '../harness/cli/run-command.js';
import { renderTable } from '../harness/report/table.js';
import { loadSkipList, loadSkipLists, type SkipLists } from '../harness/skips/skip-list.js';
import { isFailure, type JobResult } from '../harness/sweep/job-result.js';
import { expandJobs } from '../harness/sweep/jobs.js';
import { runSweep } from '../harness/sweep/sweep.js';

const planted = { reason: 'planted for the expectations suite', todo: 'none', link: 'https://github.com/pytorch/pytorch/issues/151582', added: '2026-11-30' };
const GEMMA_JOB = 'tiny-gemma3/dynamo/dynamic';
// the two edge cases (batch 1; seq 1) are the first cases fuzzed, and count among numRuns: two find
// Gemma3's guard at seq 1 (with one, the job passes unfuzzed at seq 1 and reads as xpass)
const fuzz = { numRuns: 2, seed: 7 };

let root: string;
let catalog: CatalogEntry[];
let byId: Record<string, JobResult>;
let run: { results: JobResult[]; runDir: string };

function plantedList(name: string, entries: object[]): SkipLists['exportSkip'] {
  const file = join(root, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ entries }, null, 1)}\n`);
  return loadSkipList(file, 'export-skip', catalog);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'expectations-'));
  catalog = await loadCatalog();
  const own = loadSkipLists(undefined, catalog);
  // first the entry scoped to the next pin set: under baseline it must not apply, or BERT is skipped
  const bert = plantedList('bert', [
    { ...planted, class: 'BertModel', backends: ['dynamo'], modes: ['static'], pins: 'next' },
    { ...planted, kind: 'xfail', class: 'BertModel', backends: ['dynamo'], modes: ['static'], pins: ['baseline'], error: 'planted: never raised' },
  ]);
  const catalogModel = (name: string) => ({ ...sourceEntry(`synthetic:${name}`, catalog), id: name });
  const models = [...selectModels(loadModelEntries(), ['tiny-gemma3', 'tiny-bert', 'tiny-mamba']), catalogModel('MambaModel'), catalogModel('JambaForCausalLM')];
  // skipped jobs cost nothing: their models are never built
  const jobs = expandJobs(models, ['dynamo'], ['static', 'dynamic'])
    .filter((job) => job.id === GEMMA_JOB || job.id === 'tiny-bert/dynamo/static' || (job.mode === 'dynamic' && /amba/.test(job.model.class)));
  run = await runSweep({ jobs, runDir: join(root, 'run'), workers: 1, fuzz, skipLists: { exportSkip: [...bert, ...own.exportSkip], disableOptimize: [] } });
  byId = Object.fromEntries(run.results.map((r) => [r.id, r]));
}, 600_000);

describe('xfail', () => {
  it("the repo's Gemma3 entry: the job runs and fails as it expects, which is no failure of the run", () => {
    const result = byId[GEMMA_JOB];
    expect(result).toMatchObject({ status: 'xfail', probed: 'runtime-error', skip: { kind: 'xfail', type: 'gemma3_text', file: 'harness/architectures/architectures.json' } });
    expect(result.errorInfo?.message).toMatch(/Guard failed: input_ids\.size\(\)\[1\] >= 3/);
    expect(isFailure(result)).toBe(false);
    expect(renderTable(run.results)).toMatch(/expected failures \(xfail entries; not failures of the run\):\n {2}tiny-gemma3\/dynamo\/dynamic: runtime-error at fuzz: AssertionError/);
  });

  it('an xfail entry on a job that passes is xpass: stale, named, and a failure of the run', () => {
    const result = byId['tiny-bert/dynamo/static'];
    expect(result).toMatchObject({ status: 'xpass', probed: 'pass', staleSkip: true, skip: { kind: 'xfail', class: 'BertModel', error: 'planted: never raised' } });
    expect(result.skip?.line).toBe(17); // the second entry: the first is scoped to the next pin set
    expect(isFailure(result)).toBe(true);
    expect(summary(run.results, run.runDir).join('\n')).toMatch(/tiny-bert\/dynamo\/static: xpass: the xfail entry .*bert\.json:17 \(BertModel\) expects \/planted: never raised\/, but the job passes: remove the entry/);
  });

  it('the same real failure under an entry expecting another error keeps its own status, the entry named', async () => {
    const wrong = plantedList('gemma-wrong', [{ ...planted, kind: 'xfail', class: 'Gemma3ForCausalLM', backends: ['dynamo'], modes: ['dynamic'], pins: 'all', error: 'Guard failed: input_ids\\.size\\(\\)\\[1\\] == 7' }]);
    const jobs = expandJobs(selectModels(loadModelEntries(), ['tiny-gemma3']), ['dynamo'], ['dynamic']);
    const [result] = (await runSweep({ jobs, runDir: join(root, 'regression'), workers: 1, fuzz, skipLists: { exportSkip: wrong, disableOptimize: [] } })).results;
    expect(result).toMatchObject({ status: 'runtime-error', unexpectedError: true, skip: { kind: 'xfail', line: 3 } });
    expect(result.errorInfo?.message).toMatch(/Guard failed: input_ids\.size\(\)\[1\] >= 3/);
    expect(isFailure(result)).toBe(true);
    expect(renderTable([result])).toMatch(/regression: the xfail entry .*gemma-wrong\.json:3 \(Gemma3ForCausalLM\) expects \/Guard failed: input_ids\\\.size\\\(\\\)\\\[1\\\] == 7\/; this is another error/);
  }, 300_000);
});

describe('scopes', () => {
  it("a type-scoped entry (the repo's unrolled-scan entry, types mamba, jamba and zamba) covers every class of those types", () => {
    for (const id of ['tiny-mamba/dynamo/dynamic', 'MambaModel/dynamo/dynamic', 'JambaForCausalLM/dynamo/dynamic']) {
      expect(byId[id], id).toMatchObject({ status: 'skipped', skip: { kind: 'skip', type: 'mamba, jamba, zamba' } });
    }
    // Gemma 3's xfail entry covers its row's type (gemma3_text) too, so its job carries a type scope
    expect(run.results.filter((r) => r.skip?.type === 'mamba, jamba, zamba').map((r) => r.modelClass).sort()).toEqual(['JambaForCausalLM', 'MambaForCausalLM', 'MambaModel']);
    expect(byId[GEMMA_JOB]).toMatchObject({ skip: { type: 'gemma3_text' } });
  });
});

describe('pins, run level', () => {
  it('an entry scoped to baseline is not applied in a run under another pin set (EXPORT_SWEEP_PINS, as --pins sets it)', async () => {
    // baseline's pins under another name: the name is what entries are scoped by, and the same
    // contents make its environment a quick copy of baseline's from uv's cache, not a new resolve
    const pins = join(root, 'copy-of-baseline.txt');
    copyFileSync(join(REPO_ROOT, 'pins', 'baseline.txt'), pins);
    const exportSkip = plantedList('bert-baseline', [{ ...planted, class: 'BertModel', backends: ['dynamo'], modes: ['static'], pins: 'baseline' }]);
    const jobs = expandJobs(selectModels(loadModelEntries(), ['tiny-bert']), ['dynamo'], ['static']);
    const saved = process.env.EXPORT_SWEEP_PINS;
    process.env.EXPORT_SWEEP_PINS = pins;
    try {
      const runDir = join(root, 'other-pins');
      const [result] = (await runSweep({ jobs, runDir, workers: 1, fuzz, skipLists: { exportSkip, disableOptimize: [] } })).results;
      expect(new RunFolder(runDir).readManifest().pins.name).toBe('copy-of-baseline');
      expect(result.status).toBe('pass');
      expect(result.skip).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.EXPORT_SWEEP_PINS;
      else process.env.EXPORT_SWEEP_PINS = saved;
    }
  }, 300_000);
});
