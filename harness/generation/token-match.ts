// Exported tokens against eager's, step by step per row. Where they first differ, a small gap
// between eager's two best logits means float noise picked the other token (a tie, after which the
// sequences legitimately diverge); a large gap is a failure.
export interface TokenMatch {
  ok: boolean;
  /** Steps that matched per row before the first difference (all of them when none). */
  matched: number[];
  ties: { row: number; step: number; gap: number }[];
  failures: { row: number; step: number; eager: number; exported: number; gap: number }[];
}

export const TIE_THRESHOLD = 1e-4;

/** ``eager``, ``exported`` and eager's top-2 ``gaps`` are all [row][step]. */
export function matchTokens(eager: number[][], exported: number[][], gaps: number[][], threshold = TIE_THRESHOLD): TokenMatch {
  const result: TokenMatch = { ok: true, matched: [], ties: [], failures: [] };
  eager.forEach((row, b) => {
    const step = row.findIndex((token, s) => exported[b]?.[s] !== token);
    result.matched.push(step === -1 ? row.length : step);
    if (step === -1) return;
    const gap = gaps[b]?.[step] ?? Infinity;
    if (gap < threshold) result.ties.push({ row: b, step, gap });
    else result.failures.push({ row: b, step, eager: row[step], exported: exported[b]?.[step], gap });
  });
  result.ok = result.failures.length === 0;
  return result;
}
