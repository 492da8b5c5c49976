// The space a dynamic job is fuzzed over: the ranges the recipe declares, narrowed where inputs
// disagree, capped, and for a vision-language model counted without its image placeholders, which
// the recipe adds to every prompt itself (InternVL's 256 once made the range empty and crashed fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzCase, fuzzSpace, type RecipeDims } from './arbitraries.js';

describe('fuzzSpace', () => {
  it('narrows a dim to the range every input allows and caps it', () => {
    const dims: RecipeDims = { input_ids: { 0: ['batch', 1, 16], 1: ['sequence', 1, 512] }, attention_mask: { 0: ['batch', 2, 16], 1: ['sequence', 1, 40] } };
    expect(fuzzSpace(dims)).toEqual({ batch: { min: 2, max: 8 }, seq: { min: 1, max: 40 }, padding: true });
  });

  it("takes a VLM's placeholders off the sequence range, so the prompts it draws are the recipe's text lengths", () => {
    const dims: RecipeDims = { input_ids: { 0: ['batch', 1, 8], 1: ['sequence', 257, 320] }, pixel_values: { 0: ['batch', 1, 8] } };
    const space = fuzzSpace(dims, 256);
    expect(space.seq).toEqual({ min: 1, max: 64 });
    fc.assert(fc.property(fuzzCase(space, { batch: 2, seq: 7 }), (c) => c.seq >= 1 && c.seq <= 64), { numRuns: 50 });
    expect(fuzzSpace(dims).seq).toEqual({ min: 257, max: 64 }); // counted with them, the range is empty
  });
});
