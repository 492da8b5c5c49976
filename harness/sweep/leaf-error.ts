// One line per failing output leaf, saying what differs: a shape or dtype mismatch is named with
// both sides ("logits: shape [2,1,256], eager [2,7,256]"), never as an infinite error.
import type { LeafComparison } from '../compare/compare.js';

const dims = (shape: number[] | undefined) => `[${(shape ?? []).join(',')}]`;

/** ``leaf`` against ``against`` (eager, or the first runtime of the backend). */
export function leafError(leaf: LeafComparison, against = 'eager'): string {
  switch (leaf.problem) {
    case 'shape':
      return `${leaf.name}: shape ${dims(leaf.actualShape)}, ${against} ${dims(leaf.expectedShape)}`;
    case 'dtype':
      return `${leaf.name}: dtype ${leaf.actualDtype ?? '?'}, ${against} ${leaf.dtype}`;
    case 'missing':
      return `${leaf.name}: missing from the artifact's outputs (${against} has it, shape ${dims(leaf.expectedShape)})`;
    case 'unexpected':
      return `${leaf.name}: an output ${against} does not have (shape ${dims(leaf.actualShape)})`;
    default: {
      const share = `${(leaf.outOfToleranceShare * 100).toFixed(1)}% of elements out of tolerance`;
      const at = leaf.worstIndex ? ` at [${leaf.worstIndex.join(',')}]` : '';
      return `${leaf.name}: max abs ${leaf.maxAbsError.toExponential(2)}, max rel ${leaf.maxRelError.toExponential(2)}${at} against ${against}; ${share}`;
    }
  }
}

/** The first failing leaves of a check, one line each, at most ``limit``. */
export function leafErrors(failures: LeafComparison[], against = 'eager', limit = 3): string {
  const lines = failures.slice(0, limit).map((leaf) => leafError(leaf, against));
  if (failures.length > limit) lines.push(`... and ${failures.length - limit} more output(s)`);
  return lines.join('\n');
}
