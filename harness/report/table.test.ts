import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BROKEN_AT_EAGER, PARTIAL, REUSED_PASS, SHAPE_MISMATCH, XFAIL, XPASS } from './example-results.js';
import { renderTable, resultLine, STATUS_ANSI } from './table.js';

const results = [BROKEN_AT_EAGER, PARTIAL, SHAPE_MISMATCH, REUSED_PASS];

describe('the terminal matrix', () => {
  const table = renderTable(results);
  const row = (label: string) => table.split('\n').find((l) => l.startsWith(`${label} `))!;

  it('shows broken and partial in their cells and counts each in its own totals row', () => {
    expect(row('tiny-llava')).toMatch(/partial 2\.4e-6\s+broken$/);
    expect(row('broken')).toMatch(/^broken\s+0\s+0\s+0\s+1$/); // columns: executorch/dynamic, executorch/static, onnx/dynamic, onnx/static
    expect(row('partial')).toMatch(/^partial\s+0\s+0\s+1\s+0$/);
    expect(row('mismatch')).toMatch(/^mismatch\s+0\s+1\s+0\s+0$/);
    expect(table).not.toMatch(/^timeout /m); // statuses no job has get no row
  });

  it('gives both pass rates: over jobs run, and over jobs that reached the exporter', () => {
    expect(row('pass rate, run')).toMatch(/100\.0% \(1\/1\)\s+0\.0% \(0\/1\)\s+100\.0% \(1\/1\)\s+0\.0% \(0\/1\)$/);
    // the broken onnx/static job never reached the exporter: it has no reached rate at all
    expect(row('pass rate, reached exporter')).toMatch(/100\.0% \(1\/1\)\s+0\.0% \(0\/1\)\s+100\.0% \(1\/1\)\s+- \(0\/0\)$/);
  });

  it('gives both pass rates per backend, over its modes together', () => {
    expect(table).toContain('pass rate per backend (jobs run; jobs that reached the exporter):\n  executorch: 50.0% (1/2); 50.0% (1/2)\n  onnx: 50.0% (1/2); 100.0% (1/1)');
  });

  it('lists each failure with its stage and exception type, and what partial jobs did not feed', () => {
    expect(table).toContain('tiny-llava/onnx/static: broken at eager: RuntimeError: eager forward of LlavaForConditionalGeneration failed');
    expect(table).toContain('tiny-gpt2/executorch/static: mismatch at compare: OutputMismatch: logits: shape [2, 1, 96], eager [2, 7, 96]');
    expect(table).toContain('tiny-llava/onnx/dynamic: fed input_ids, attention_mask; not fed pixel_values, image_sizes');
  });

  it('names a failure\'s repro.md when the run folder has one', () => {
    const runDir = mkdtempSync(join(tmpdir(), 'table-'));
    try {
      mkdirSync(join(runDir, 'jobs', 'tiny-llava__onnx__static'), { recursive: true });
      writeFileSync(join(runDir, 'jobs', 'tiny-llava__onnx__static', 'repro.md'), '# repro\n');
      const lines = renderTable(results, { runDir }).split('\n');
      const at = lines.findIndex((l) => l.startsWith('  tiny-llava/onnx/static: broken'));
      expect(lines[at + 1]).toBe(`    repro: ${join(runDir, 'jobs', 'tiny-llava__onnx__static', 'repro.md')}`);
      expect(lines.filter((l) => l.includes('repro:'))).toHaveLength(1); // the mismatch has no repro.md here
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  });

  it('colours by status only when asked, keeping the columns aligned', () => {
    expect(table).not.toContain('\x1b[');
    const coloured = renderTable(results, { colour: true });
    expect(coloured).toContain(`\x1b[${STATUS_ANSI.broken}mbroken`);
    expect(coloured).toContain(`\x1b[${STATUS_ANSI.partial}mpartial 2.4e-6`);
    expect(STATUS_ANSI.broken).not.toBe(STATUS_ANSI['export-error']);
    expect(coloured.replace(/\x1b\[[\d;]*m/g, '')).toBe(table);
  });

  it('says in one line where a job failed, and what a partial one left out', () => {
    expect(resultLine(BROKEN_AT_EAGER)).toMatch(/^broken at eager \(0\.7s, export -\) RuntimeError: eager forward/);
    expect(resultLine(PARTIAL)).toMatch(/^partial \(6\.4s, export 5\.2s\) max abs 2\.4e-6 \(not fed: pixel_values, image_sizes\)$/);
  });
});

describe('the terminal matrix with xfail and xpass', () => {
  const table = renderTable([XFAIL, XPASS]);
  const row = (label: string) => table.split('\n').find((l) => l.startsWith(`${label} `))!;

  it('counts an xfail against the pass rate (it ran and failed) and an xpass for it, each in its own row', () => {
    // columns: executorch/dynamic (the xpass), executorch/static (the xfail)
    expect(row('pass rate, run')).toMatch(/100\.0% \(1\/1\)\s+0\.0% \(0\/1\)$/);
    expect(row('xpass')).toMatch(/^xpass\s+1\s+0$/);
    expect(row('xfail')).toMatch(/^xfail\s+0\s+1$/);
  });

  it('lists the xpass among the failures with its stale entry, and the xfail apart with its real status', () => {
    expect(table).toMatch(/failures:\n {2}tiny-gpt2\/executorch\/dynamic: xpass: max abs 1\.2e-6\n {4}xpass: the xfail entry harness\/architectures\/architectures\.json:7 \(GPT2LMHeadModel\) expects \/logits: shape\/, but the job passes: remove the entry/);
    expect(table).toMatch(/expected failures \(xfail entries; not failures of the run\):\n {2}tiny-gpt2\/executorch\/static: mismatch at compare: OutputMismatch: logits: shape \[2, 1, 96\], eager \[2, 7, 96\] \(harness\/architectures\/architectures\.json:7 https:\/\/github\.com\/pytorch\/executorch\/issues\/1\)/);
  });
});
