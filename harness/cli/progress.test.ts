import { describe, expect, it } from 'vitest';
import { REUSED_PASS, SHAPE_MISMATCH, XFAIL, XPASS } from '../report/example-results.js';
import { Progress } from './progress.js';

function terminal(): { stream: NodeJS.WriteStream; text: () => string } {
  let written = '';
  const stream = { isTTY: true, write: (chunk: string) => { written += chunk; return true; } } as unknown as NodeJS.WriteStream;
  return { stream, text: () => written };
}

describe('the live progress line', () => {
  it('counts an xfail apart from the failures, and an xpass among them, with a line of its own', () => {
    const { stream, text } = terminal();
    const progress = new Progress(stream);
    [REUSED_PASS, XFAIL, XPASS, SHAPE_MISMATCH].forEach((result, i) => progress.update(result, i + 1, 4));
    expect(text()).toMatch(/\[4\/4\] pass 1 {2}fail 2 {2}xfail 1 {2}skipped 0 /);
    expect(text()).toContain(`${XPASS.id}: xpass`);
    expect(text()).not.toContain(`${XFAIL.id}: xfail`); // an expected failure gets no line of its own
  });
});
