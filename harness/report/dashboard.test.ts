import { describe, expect, it } from 'vitest';
import type { RunManifest } from '../results/run-folder.js';
import { diffRuns } from '../drift/diff-runs.js';
import { dashboardPage } from './dashboard.js';
import { BROKEN_AT_EAGER, PARTIAL, passedBaseline, REUSED_PASS, SHAPE_MISMATCH, XFAIL, XPASS } from './example-results.js';
import { STATUS_COLOURS } from './html.js';
import { modelReports } from './model-report.js';
import { runSummary } from './write-report.js';

const results = [BROKEN_AT_EAGER, PARTIAL, SHAPE_MISMATCH, REUSED_PASS];
const manifest = {
  schema: 1, pins: { name: 'baseline', key: 'k' }, versions: { torch: '2.12.0' }, git: { commit: 'abcdef1234567', dirty: false },
  machine: { hostname: 'h', platform: 'linux', arch: 'x64', cpus: 2, memoryGb: 24, node: 'v20' },
  selection: { models: [], backends: ['onnx', 'executorch'], modes: ['static', 'dynamic'], shapes: 2, seed: 1 },
  jobs: results.map((r) => r.id), startedAt: '2026-11-30T09:00:00.000Z',
} satisfies RunManifest;
const diff = diffRuns({ name: 'yesterday', results: passedBaseline(results) }, { name: 'today', results });
const html = dashboardPage({ runName: 'today', manifest, reports: modelReports('/nonexistent-run', manifest, results), history: new Map(), diff });
const totalsCell = (backend: string, attribute: string) => new RegExp(`<tr data-backend="${backend}">.*?<td class="num" ${attribute}>([^<]*)</td>`).exec(html)?.[1];

describe('the dashboard', () => {
  it('counts broken and partial per backend in their own columns', () => {
    expect(totalsCell('onnx', 'data-count="broken"')).toBe('1');
    expect(totalsCell('onnx', 'data-count="partial"')).toBe('1');
    expect(totalsCell('onnx', 'data-count="pass"')).toBe('0');
    expect(totalsCell('executorch', 'data-count="broken"')).toBe('0');
    expect(totalsCell('executorch', 'data-count="mismatch"')).toBe('1');
  });

  it('gives the pass rate over jobs run and over jobs that reached the exporter', () => {
    expect(totalsCell('onnx', 'data-pass-rate')).toBe('50.0% (1/2)');
    expect(totalsCell('onnx', 'data-reached-pass-rate')).toBe('100.0% (1/1)');
    expect(totalsCell('executorch', 'data-pass-rate')).toBe('50.0% (1/2)');
    expect(totalsCell('executorch', 'data-reached-pass-rate')).toBe('50.0% (1/2)');
  });

  it('colours broken and partial cells apart from every other status, and says why in the tooltip', () => {
    const colours = Object.values(STATUS_COLOURS);
    expect(new Set(colours).size).toBe(colours.length);
    expect(html).toMatch(new RegExp(`<td class="cell" data-status="broken"><a [^>]*title="broken at eager: RuntimeError: eager forward[^"]*"><span class="status" data-status="broken" style="background:${STATUS_COLOURS.broken}">broken</span>`));
    expect(html).toMatch(/<td class="cell" data-status="partial"><a [^>]*title="partial: not fed pixel_values, image_sizes"><span [^>]*>partial 2\.4e-6<\/span>/);
  });

  it('offers broken and partial in the status filter and counts them run-wide', () => {
    const filter = /<select id="f-status">(.*?)<\/select>/.exec(html)![1];
    expect(filter).toContain('<option>broken</option>');
    expect(filter).toContain('<option>partial</option>');
    expect(html).toMatch(/<span data-count="broken"><span [^>]*>1 broken<\/span><\/span>/);
  });

  it('lists a job that broke apart from the regressions in its drift section', () => {
    expect(html).toMatch(/<tr data-kind="broke"><td>broke<\/td><td>tiny-llava\/onnx\/static<\/td><td>pass<\/td><td>broken \/ eager \/ RuntimeError<\/td>/);
    expect(html).toMatch(/<p id="drift-summary">1 regression &middot; 1 broke &middot;/);
  });
});

describe('summary.json', () => {
  it('holds the counts and both pass rates per backend', () => {
    const summary = runSummary('today', 4, results);
    expect(summary.counts).toMatchObject({ pass: 1, partial: 1, mismatch: 1, broken: 1 });
    expect(summary.backends.find((b) => b.backend === 'onnx')).toMatchObject({
      jobs: 2, all: { passed: 1, over: 2, percent: 50 }, reached: { passed: 1, over: 1, percent: 100 },
    });
  });
});

describe('the dashboard with an xfail and an xpass', () => {
  const run = [XFAIL, XPASS];
  const page = dashboardPage({ runName: 'today', manifest: { ...manifest, jobs: run.map((r) => r.id) }, reports: modelReports('/nonexistent-run', manifest, run), history: new Map() });

  it('counts each in its own column and run-wide, the xfail against the pass rate and the xpass for it', () => {
    const cell = (attribute: string) => new RegExp(`<tr data-backend="executorch">.*?<td class="num" ${attribute}>([^<]*)</td>`).exec(page)?.[1];
    expect([cell('data-count="xfail"'), cell('data-count="xpass"'), cell('data-pass-rate')]).toEqual(['1', '1', '50.0% (1/2)']);
    expect(page).toMatch(/<span data-count="xpass">.*1 xpass.*<\/span> <span data-count="xfail">.*1 xfail/);
  });

  it('lists the stale xfail entry among the findings, and not the expected failure', () => {
    const findings = /<ul id="findings">(.*?)<\/ul>/s.exec(page)?.[1] ?? '';
    expect(findings).toContain(`${XPASS.id}: xpass: the xfail entry harness/architectures/architectures.json:7 (GPT2LMHeadModel) expects /logits: shape/, but the job passes: remove the entry`);
    expect(findings).not.toContain(XFAIL.id);
  });
});
