import { describe, expect, it } from 'vitest';
import { BROKEN_AT_EAGER, PARTIAL, passedBaseline, REUSED_PASS, SHAPE_MISMATCH, XFAIL, XPASS } from '../report/example-results.js';
import type { JobResult } from '../sweep/job-result.js';
import { diffMarkdown, diffRuns, diffTable, errorClass } from './diff-runs.js';

const current = [BROKEN_AT_EAGER, PARTIAL, SHAPE_MISMATCH, REUSED_PASS];
const diff = diffRuns({ name: 'a', results: passedBaseline(current) }, { name: 'b', results: current });

describe('diff: a job that passed and is now broken', () => {
  it('is listed and counted as broke, not as a regression of the exporter', () => {
    expect(diff.counts.broke).toBe(1);
    expect(diff.counts.regression).toBe(1); // the shape mismatch, which did reach the exporter
    expect(diff.changes.find((c) => c.id === BROKEN_AT_EAGER.id)).toMatchObject({
      kind: 'broke', before: 'pass', after: 'broken / eager / RuntimeError',
      detail: 'RuntimeError: eager forward of LlavaForConditionalGeneration failed on the recipe inputs (input_ids, attention_mask, pixel_values)',
    });
    expect(diff.changes.filter((c) => c.kind === 'regression').map((c) => c.id)).toEqual([SHAPE_MISMATCH.id]);
  });

  it('shows in the Markdown under its own heading and in the table', () => {
    const md = diffMarkdown(diff);
    expect(md).toMatch(/\*\*1 regression\(s\)\*\*/);
    expect(md).toMatch(/\*\*1 job\(s\) broke before the exporter\*\* \(not counted as regressions/);
    expect(md).toMatch(/#### Broken \(passed, now fails before reaching the exporter[^\n]*\n\n\| job \| before \| after \| detail \|\n\|---\|---\|---\|---\|\n\| `tiny-llava\/onnx\/static` \| pass \| broken \/ eager \/ RuntimeError \|/);
    expect(diffTable(diff)).toMatch(/^broke\s+tiny-llava\/onnx\/static\s+pass\s+-> broken \/ eager \/ RuntimeError/m);
  });

  it('a partial job that passed before is no change; broken back to passing is a fix', () => {
    expect(diff.changes.some((c) => c.id === PARTIAL.id)).toBe(false);
    const back = diffRuns({ name: 'b', results: current }, { name: 'c', results: passedBaseline(current) });
    expect(back.changes.find((c) => c.id === BROKEN_AT_EAGER.id)?.kind).toBe('fix');
    expect(back.counts.broke).toBe(0);
  });
});

describe('errorClass', () => {
  it('takes the type and stage from errorInfo, not from words in the message', () => {
    // the message names a ValueError; the exception raised was a RuntimeError at eager
    const r: JobResult = { ...BROKEN_AT_EAGER, stage: 'checkpoint', error: 'ValueError raised inside: RuntimeError' };
    expect(errorClass(r)).toBe('broken / eager / RuntimeError');
  });

  it('falls back to the error text only for results without errorInfo', () => {
    const old: JobResult = { ...SHAPE_MISMATCH, errorInfo: undefined, stage: 'export', status: 'export-error', error: 'torch._dynamo.exc.Unsupported: ... raised TypeError' };
    expect(errorClass(old)).toBe('export-error / export / TypeError');
  });

  it('tells two failures apart by their ErrorInfo type', () => {
    const before: JobResult = { ...BROKEN_AT_EAGER, status: 'export-error', stage: 'export', errorInfo: { stage: 'export', type: 'UserError', message: 'x' } };
    const after: JobResult = { ...before, errorInfo: { stage: 'export', type: 'GuardOnDataDependentSymNode', message: 'x' } };
    const changed = diffRuns({ name: 'a', results: [before] }, { name: 'b', results: [after] });
    expect(changed.changes).toMatchObject([{ kind: 'error-change', before: 'export-error / export / UserError', after: 'export-error / export / GuardOnDataDependentSymNode' }]);
  });
});

describe('diff: xfail and xpass', () => {
  const xfail = XFAIL;
  const [pass] = passedBaseline([SHAPE_MISMATCH]);
  // the same job id as the others here
  const xpass: JobResult = { ...XPASS, ...pass, status: 'xpass', skip: XFAIL.skip };
  const kinds = (a: JobResult, b: JobResult) => diffRuns({ name: 'a', results: [a] }, { name: 'b', results: [b] }).changes.map((c) => c.kind);

  it('a pass that fails now as an entry expects is newly-expected, not a regression; without the entry it is one', () => {
    const diff = diffRuns({ name: 'a', results: [pass] }, { name: 'b', results: [xfail] });
    expect(diff.changes).toMatchObject([{ kind: 'newly-expected', before: 'pass', after: 'mismatch / compare / OutputMismatch' }]);
    expect(diff.counts.regression).toBe(0);
    expect(kinds(pass, SHAPE_MISMATCH)).toEqual(['regression']);
    expect(diffMarkdown(diff)).toMatch(/#### Newly expected failures/);
  });

  it('the same failure entered as expected is no change; xfail -> pass is a fix; an xpass is a pass', () => {
    expect(kinds(SHAPE_MISMATCH, xfail)).toEqual([]);
    expect(kinds(xfail, pass)).toEqual(['fix']);
    expect(kinds(xfail, xpass)).toEqual(['fix']);
    expect(kinds(pass, xpass)).toEqual([]);
    expect(kinds(xpass, SHAPE_MISMATCH)).toEqual(['regression']);
  });

  it('an xfail whose error changed is an error change', () => {
    const other: JobResult = { ...xfail, errorInfo: { stage: 'compare', type: 'RuntimeError', message: 'x' }, unexpectedError: true, status: 'mismatch', probed: undefined };
    expect(diffRuns({ name: 'a', results: [xfail] }, { name: 'b', results: [other] }).changes).toMatchObject([{ kind: 'error-change', before: 'mismatch / compare / OutputMismatch', after: 'mismatch / compare / RuntimeError' }]);
  });
});

describe('diffTable', () => {
  it('has a header and every column starts at the same offset on every line, whatever the lengths', () => {
    const lines = diffTable(diff).split('\n\n')[0].split('\n');
    expect(lines[0]).toMatch(/^change\s+job\s+before\s+after\s+detail$/);
    expect(lines.length).toBe(diff.changes.length + 1);
    const jobColumn = lines.map((l) => l.indexOf(' ', 0) + l.slice(l.indexOf(' ')).search(/\S/));
    expect(new Set(jobColumn).size, lines.join('\n')).toBe(1);
    const afterColumn = lines.slice(1).map((l) => l.indexOf('-> '));
    expect(new Set(afterColumn).size, lines.join('\n')).toBe(1);
    expect(lines[0].indexOf('after') - 3).toBe(afterColumn[0]);
  });
});
