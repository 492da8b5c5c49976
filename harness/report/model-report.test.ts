import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '../results/run-folder.js';
import { BROKEN_AT_EAGER, PARTIAL, REUSED_PASS, SHAPE_MISMATCH, XFAIL, XPASS } from './example-results.js';
import { modelPage, modelReports } from './model-report.js';

const runDir = mkdtempSync(join(tmpdir(), 'model-report-'));
afterAll(() => rmSync(runDir, { recursive: true, force: true }));
// the engine writes repro.md into the failing job's folder; the shape mismatch got none here
mkdirSync(join(runDir, 'jobs', 'tiny-llava__onnx__static'), { recursive: true });
writeFileSync(join(runDir, 'jobs', 'tiny-llava__onnx__static', 'repro.md'), '# repro\n');

const manifest = {
  schema: 1, pins: { name: 'baseline', key: 'k' }, versions: { torch: '2.12.0' }, git: { commit: 'abcdef1234567', dirty: false },
  machine: { hostname: 'h', platform: 'linux', arch: 'x64', cpus: 2, memoryGb: 24, node: 'v20' },
  selection: { models: [], backends: ['onnx', 'executorch'], modes: ['static', 'dynamic'], shapes: 2, seed: 1 },
  jobs: [], startedAt: '2026-11-30T09:00:00.000Z',
} satisfies RunManifest;

const [gpt2, llava] = modelReports(runDir, manifest, [BROKEN_AT_EAGER, PARTIAL, SHAPE_MISMATCH, REUSED_PASS]);
const section = (html: string, id: string) => {
  const start = html.indexOf(`<section class="job" id="${id}"`);
  return html.slice(start, html.indexOf('</section>', start));
};

describe('the per-model page, a broken job', () => {
  const html = section(modelPage(llava), 'tiny-llava/onnx/static');

  it('shows the ladder: the rungs reached, the failing one marked, the rest not reached', () => {
    const rungs = [...html.matchAll(/<li data-rung="(\w+)" data-state="([\w-]+)">/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(rungs).toEqual(['checkpoint:reached', 'inputs:reached', 'eager:failed', 'export:not-reached', 'load:not-reached', 'run:not-reached', 'compare:not-reached']);
  });

  it('shows the error type, stage and message, the whole traceback, the cause chain and native stderr', () => {
    expect(html).toContain('<b>RuntimeError</b> at <b>eager</b> (the job never reached the exporter');
    expect(html).toContain('eager forward of LlavaForConditionalGeneration failed on the recipe inputs');
    expect(html).toContain('  File &quot;transformers/models/llava/modeling_llava.py&quot;, line 441, in forward');
    const causes = [...html.matchAll(/<li><pre>(.*?)<\/pre><\/li>/g)].map((m) => m[1]);
    expect(causes).toEqual(['ValueError: Image features and image tokens do not match: tokens: 0, features 576', 'IndexError: index 0 is out of bounds for dimension 0 with size 0']);
    expect(html).toMatch(/native stderr \(tail\)<\/summary><pre class="stderr">W1130 09:00:01 worker\.py:88\] pixel_values resized/);
  });

  it('links its repro.md relative to the page, and only where the file exists', () => {
    expect(llava.jobs.find((j) => j.id === BROKEN_AT_EAGER.id)?.repro).toBe(join('jobs', 'tiny-llava__onnx__static', 'repro.md'));
    expect(html).toContain('<a href="../jobs/tiny-llava__onnx__static/repro.md">');
    expect(section(modelPage(gpt2), SHAPE_MISMATCH.id)).not.toContain('repro.md');
  });
});

describe('the per-model page, leaf tables', () => {
  const html = section(modelPage(gpt2), 'tiny-gpt2/executorch/static');
  const leaf = (name: string) => new RegExp(`<tr data-leaf="${name.replaceAll('.', '\\.')}"[^>]*>(.*?)</tr>`).exec(html)?.[1] ?? '';

  it('shows expected and actual shape for a shape mismatch instead of an infinite error', () => {
    expect(leaf('logits')).toContain('shape: expected [2, 7, 96], got [2, 1, 96]');
    expect(leaf('logits')).not.toMatch(/inf|-<\/td>/);
  });

  it('shows tolerance, worst index and share out of tolerance for a value mismatch', () => {
    const row = leaf('past_key_values.0.key');
    expect(row).toContain('atol 2.2e-4 / rtol 0.001 (scale 2.5e+0)'); // atol + scaleTol * scale, as compare.ts applied it
    expect(row).toContain('[1, 0, 6, 3]');
    expect(row).toContain('12.5%');
    expect(row).toContain('3.1e-2');
  });

  it('lists the passing leaves too, with their errors', () => {
    expect(leaf('past_key_values.0.value')).toContain('3.0e-7');
  });
});

describe('the per-model page, partial and reused jobs', () => {
  it('names the inputs a partial job fed and the ones it did not', () => {
    const html = section(modelPage(llava), 'tiny-llava/onnx/dynamic');
    expect(html).toMatch(/Inputs fed<\/b>: <code>input_ids<\/code>, <code>attention_mask<\/code> &middot; <b>not fed<\/b> \(untested\): <code>pixel_values<\/code>, <code>image_sizes<\/code>/);
    expect(html).toContain('data-rung="fuzz" data-state="reached"');
    expect(html).not.toContain('data-state="failed"');
  });

  it('names the run a reused result came from', () => {
    expect(section(modelPage(gpt2), REUSED_PASS.id)).toContain('Reused from run <code>reports/runs/2026-11-29-nightly</code> (finished 2026-11-29T03:12:00.000Z)');
  });
});

describe('the per-model page, an xfail and an xpass', () => {
  const [page] = modelReports(runDir, manifest, [XFAIL, XPASS]);
  const html = modelPage(page);

  it("marks an xfail's failing rung and names its entry, the expected error and the real status", () => {
    const xfail = section(html, XFAIL.id);
    expect(xfail).toContain('<li data-rung="compare" data-state="failed">');
    expect(xfail).toContain('<b>Skip list, xfail</b> (harness/architectures/architectures.json:7)');
    expect(xfail).toContain('Expected error: <code>/logits: shape/</code>.');
    expect(xfail).toContain('<b data-expectation>expected failure (mismatch) per harness/architectures/architectures.json:7 (GPT2LMHeadModel)</b>');
  });

  it('says an xpass entry is stale, to remove, and marks no rung failed', () => {
    expect(section(html, XPASS.id)).not.toContain('data-state="failed"');
    expect(section(html, XPASS.id)).toContain('<b data-expectation>xpass: the xfail entry harness/architectures/architectures.json:7 (GPT2LMHeadModel) expects /logits: shape/, but the job passes: remove the entry</b>');
  });
});
