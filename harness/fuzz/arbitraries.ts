// Composable generators for dynamic-shape fuzzing, in the style of fast-check's own arbitraries: a
// dim, a padding pattern, then one case per model built from the ranges its input recipe declares.
import fc from 'fast-check';

export type Padding = 'none' | 'left' | 'right';
export const PADDINGS: readonly Padding[] = ['none', 'left', 'right'];

export interface DimRange { min: number; max: number }

/** One input shape to check an export at: sizes, the attention mask's padding and the values' seed. */
export interface FuzzCase { batch: number; seq: number; padding: Padding; seed: number }

/** What may vary for one model: ranges of its named dims; ``seq`` absent when it has none. */
export interface FuzzSpace { batch: DimRange; seq?: DimRange; padding: boolean }

/** Per input, the dims that may vary as {index: [name, min, max]} (the worker's sample_inputs reply). */
export type RecipeDims = Record<string, Record<string, [string, number, number]>>;

// Ranges are capped so one case stays cheap; a bug that needs batch 9 or 65 tokens is rare enough
// for the nightly --shapes 50 run with a wider cap to find.
const CAPS: Record<string, number> = { batch: 8, sequence: 64 };

/** The ranges every input agrees on, per dim name: an input that allows less narrows the range.
 * ``sequenceOffset``: tokens the recipe adds to every sequence beyond the ``seq`` a case asks for (a
 * VLM's image placeholders, 256 for InternVL's); the ``sequence`` ranges count them, a case's ``seq``
 * does not, so they come off before the cap. */
export function fuzzSpace(dims: RecipeDims, sequenceOffset = 0): FuzzSpace {
  const ranges = new Map<string, DimRange>();
  for (const input of Object.values(dims)) {
    for (const [name, declaredMin, declaredMax] of Object.values(input)) {
      const offset = name === 'sequence' ? sequenceOffset : 0;
      const [min, max] = [declaredMin - offset, declaredMax - offset];
      const seen = ranges.get(name);
      const cap = CAPS[name] ?? max;
      ranges.set(name, { min: Math.max(seen?.min ?? min, min), max: Math.min(seen?.max ?? max, max, cap) });
    }
  }
  const batch = ranges.get('batch') ?? { min: 1, max: 1 };
  return { batch, seq: ranges.get('sequence'), padding: 'attention_mask' in dims };
}

export const dim = (range: DimRange): fc.Arbitrary<number> => fc.integer({ min: range.min, max: range.max });

export const padding = (allowed: boolean): fc.Arbitrary<Padding> => (allowed ? fc.constantFrom(...PADDINGS) : fc.constant('none'));

/** Shrinks towards batch 1, the smallest sequence, no padding and seed 1: the smallest failing case. */
export function fuzzCase(space: FuzzSpace, sample: { batch: number; seq: number }): fc.Arbitrary<FuzzCase> {
  return fc.record({
    batch: dim(space.batch),
    seq: space.seq ? dim(space.seq) : fc.constant(sample.seq),
    padding: padding(space.padding),
    seed: fc.integer({ min: 1, max: 0x7fffffff }),
  });
}

/** Cases run before the random ones: size 1 along each dynamic dim, where 0/1 specialisation bugs hide. */
export function edgeCases(space: FuzzSpace, sample: { batch: number; seq: number }): FuzzCase[] {
  const cases: FuzzCase[] = [];
  if (space.batch.min <= 1 && space.batch.max >= 1) cases.push({ batch: 1, seq: sample.seq, padding: 'none', seed: 1 });
  if (space.seq && space.seq.min <= 1) cases.push({ batch: Math.min(sample.batch, space.batch.max), seq: 1, padding: 'none', seed: 1 });
  return cases;
}

export function describeCase(c: FuzzCase): string {
  return `batch=${c.batch} seq=${c.seq} padding=${c.padding} seed=${c.seed}`;
}
