// Reports and drift from real runs: a baseline where every job passes, and a second run of the same
// jobs with one skip-listed, one planted seq-1 export bug (mismatch) and one segfault (crash). The
// dashboard must show the second run's counts and work in a real browser; diff must report the
// planted regressions and exit non-zero, and report nothing for a run against itself.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelEntries, selectModels } from '../harness/catalog/default-models.js';
import { REPO_ROOT } from '../harness/python/paths.js';
import { launchChromium } from '../harness/report/browser.js';
import { writeRunReport } from '../harness/report/write-report.js';
import { loadSkipList } from '../harness/skips/skip-list.js';
import type { JobResult } from '../harness/sweep/job-result.js';
import { expandJobs } from '../harness/sweep/jobs.js';
import { runSweep } from '../harness/sweep/sweep.js';

let root: string;
let baseline: JobResult[];
let current: JobResult[];
const jobs = expandJobs(selectModels(loadModelEntries(), ['tiny-bert', 'tiny-gpt2']), ['dynamo'], ['static', 'dynamic']);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'reports-'));
  const common = { jobs, workers: 2, fuzz: { numRuns: 3, seed: 3 }, workerEnv: { SWEEP_WORKER_DEBUG: '1' } };
  baseline = (await runSweep({ ...common, runDir: join(root, 'runs', 'a-baseline') })).results;
  const skipFile = join(root, 'export-skip.json');
  writeFileSync(skipFile, JSON.stringify({ entries: [{
    class: 'BertModel', backends: ['dynamo'], modes: ['static'], reason: 'planted for the report test', todo: 'remove',
    link: 'https://github.com/pytorch/pytorch/issues/151582', added: '2026-11-29', pins: 'baseline',
  }] }));
  const plants: Record<string, string> = { 'tiny-gpt2/dynamo/dynamic': 'seq-one', 'tiny-bert/dynamo/dynamic': 'segfault' };
  current = (await runSweep({
    ...common, runDir: join(root, 'runs', 'b-current'),
    skipLists: { exportSkip: loadSkipList(skipFile, 'export-skip', [{ class: 'BertModel', model_types: ['bert'] }]), disableOptimize: [] },
    exportConfig: (job) => (plants[job.id] ? { debug_plant: plants[job.id] } : undefined),
  })).results;
}, 600_000);

const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'harness/cli/main.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

describe('the runs the reports are built from', () => {
  it('hold a pass, a mismatch, a skip and a crash', () => {
    expect(baseline.every((r) => r.status === 'pass')).toBe(true);
    expect(Object.fromEntries(current.map((r) => [r.id, r.status]))).toEqual({
      'tiny-bert/dynamo/static': 'skipped', 'tiny-bert/dynamo/dynamic': 'crashed',
      'tiny-gpt2/dynamo/static': 'pass', 'tiny-gpt2/dynamo/dynamic': 'mismatch',
    });
  });
});

describe('drift: export-sweep diff', () => {
  it('reports the planted regressions as a table and Markdown, and exits 1', () => {
    const diff = cli('diff', join(root, 'runs', 'a-baseline'), join(root, 'runs', 'b-current'));
    expect(diff.status, diff.stderr).toBe(1);
    expect(diff.stdout).toMatch(/regression\s+tiny-bert\/dynamo\/dynamic .*crashed/);
    expect(diff.stdout).toMatch(/regression\s+tiny-gpt2\/dynamo\/dynamic .*mismatch \/ fuzz/);
    expect(diff.stdout).toMatch(/newly-skipped\s+tiny-bert\/dynamo\/static/);
    const md = readFileSync(join(root, 'runs', 'b-current', 'diff.md'), 'utf8');
    expect(md).toMatch(/\*\*2 regression\(s\)\*\*/);
    // the error class names the failure's type from its structured error (diff-runs.ts errorClass)
    expect(md).toMatch(/\| `tiny-gpt2\/dynamo\/dynamic` \| pass \| mismatch \/ fuzz \/ OutputMismatch \|/);
  });

  it('reports nothing for a run against itself, and exits 0', () => {
    const same = cli('diff', join(root, 'runs', 'a-baseline'), join(root, 'runs', 'a-baseline'));
    expect(same.status, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/no changes between a-baseline and a-baseline/);
  });
});

describe('per-model reports and the dashboard', () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launchChromium(); });
  afterAll(() => browser?.close());

  it('writes a JSON and HTML report per model with every job, its errors and the skip link', () => {
    const written = writeRunReport(join(root, 'runs', 'b-current'));
    expect(written.models).toHaveLength(2);
    const gpt2 = JSON.parse(readFileSync(join(root, 'runs', 'b-current', 'reports', 'tiny-gpt2.json'), 'utf8'));
    const dynamic = gpt2.jobs.find((j: JobResult) => j.id === 'tiny-gpt2/dynamo/dynamic');
    expect(dynamic.fuzz.counterexample).toMatchObject({ batch: 1, seq: 1 });
    expect(dynamic.replay).toMatch(/^npx export-sweep replay .* tiny-gpt2\/dynamo\/dynamic --seed \d+ --path [\d:]+$/);
    expect(gpt2.versions.torch).toBe('2.12.0');
    const passing = gpt2.jobs.find((j: JobResult) => j.status === 'pass');
    expect(passing.shapes[0].checks[0].leaves.map((l: { name: string }) => l.name)).toContain('logits');
    const bert = readFileSync(join(root, 'runs', 'b-current', 'reports', 'tiny-bert.html'), 'utf8');
    expect(bert).toContain('https://github.com/pytorch/pytorch/issues/151582');
    expect(bert).toMatch(/SIGSEGV/);
    const summary = JSON.parse(readFileSync(join(root, 'runs', 'b-current', 'summary.json'), 'utf8'));
    expect(summary.counts).toMatchObject({ pass: 1, mismatch: 1, skipped: 1, crashed: 1, broken: 0, partial: 0 });
    expect(summary.backends).toMatchObject([{ backend: 'dynamo', jobs: 4, all: { passed: 1, over: 3 }, reached: { passed: 1, over: 3 } }]);
  });

  it('renders the run in Chromium: counts, a working filter, a per-model link; saves a screenshot', async () => {
    const runDir = join(root, 'runs', 'b-current');
    const { index } = writeRunReport(runDir);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`file://${index}`);
    const count = (backend: string, status: string) => page.locator(`#totals tr[data-backend="${backend}"] td[data-count="${status}"]`).innerText();
    expect(await count('dynamo', 'pass')).toBe('1');
    expect(await count('dynamo', 'mismatch')).toBe('1');
    expect(await count('dynamo', 'skipped')).toBe('1');
    expect(await count('dynamo', 'crashed')).toBe('1');
    expect(await count('dynamo', 'broken')).toBe('0');
    expect(await count('dynamo', 'partial')).toBe('0');
    expect(await page.locator('#totals tr[data-backend="dynamo"] td[data-pass-rate]').innerText()).toBe('33.3% (1/3)');
    // no job broke before the exporter, so both rates agree
    expect(await page.locator('#totals tr[data-backend="dynamo"] td[data-reached-pass-rate]').innerText()).toBe('33.3% (1/3)');
    expect(await page.locator('#matrix td.cell').count()).toBe(4);
    expect(await page.locator('#drift tr[data-kind="regression"]').count()).toBe(2); // diff.json from the drift test
    // history: the baseline run beside it shows in each job's strip
    expect(await page.locator('#matrix td.cell .hist').count()).toBe(4);

    await page.selectOption('#f-status', 'crashed');
    expect(await page.locator('#matrix tbody tr:not([hidden])').count()).toBe(1);
    expect(await page.locator('#shown').innerText()).toBe('1');
    await page.selectOption('#f-status', '');
    expect(await page.locator('#matrix tbody tr:not([hidden])').count()).toBe(2);

    const screenshot = join(runDir, 'dashboard.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);

    await page.click('a.model:text("tiny-gpt2")');
    await page.waitForLoadState();
    expect(page.url()).toMatch(/reports\/tiny-gpt2\.html$/);
    expect(await page.locator('h1').innerText()).toBe('GPT2LMHeadModel');
    expect(await page.locator('section.job').count()).toBe(2);
    await page.close();
    expect(existsSync(screenshot)).toBe(true);
  });
});
