import { describe, expect, it } from 'vitest';
import { matchTokens } from './token-match.js';

describe('matchTokens', () => {
  it('passes equal tokens, records a tie on a near-equal logit gap, fails a clear difference', () => {
    const eager = [[1, 2, 3], [4, 5, 6]];
    expect(matchTokens(eager, [[1, 2, 3], [4, 5, 6]], [[1, 1, 1], [1, 1, 1]])).toMatchObject({ ok: true, matched: [3, 3] });
    const tie = matchTokens(eager, [[1, 9, 9], [4, 5, 6]], [[1, 1e-6, 1], [1, 1, 1]]);
    expect(tie).toMatchObject({ ok: true, ties: [{ row: 0, step: 1 }] });
    const wrong = matchTokens(eager, [[1, 2, 3], [4, 7, 6]], [[1, 1, 1], [1, 0.5, 1]]);
    expect(wrong).toMatchObject({ ok: false, failures: [{ row: 1, step: 1, eager: 5, exported: 7 }] });
  });
});
