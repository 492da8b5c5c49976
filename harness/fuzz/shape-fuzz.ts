// Property-based dynamic-shape checking: a dynamic export must match eager at every shape its
// inputs allow, not only the one it was traced at. fast-check picks the shapes, and on a failure
// shrinks to the smallest failing one and gives the seed and path that replay it.
import fc from 'fast-check';
import { describeCase, edgeCases, fuzzCase, type FuzzCase, type FuzzSpace } from './arbitraries.js';

/** One case's verdict: ``ok`` false with ``error`` says why (a mismatch or the artifact failing).
 * ``discarded``: the case lies outside the model's domain (eager itself fails there), so it says
 * nothing of the export; the reason is kept and the case is not counted as run. */
export interface CaseOutcome { ok: boolean; status?: string; error?: string; maxAbsError: number; maxRelError: number; discarded?: string }

export interface FuzzOptions {
  /** Random cases after the edge cases (--shapes). */
  numRuns: number;
  seed: number;
  /** fast-check's replay path of a earlier counterexample (--replay SEED:PATH). */
  path?: string;
  /** Stop shrinking after this long and report the smallest failure found so far. */
  budgetMs?: number;
}

export interface FuzzSummary {
  seed: number;
  path?: string;
  /** Cases run, edge cases and shrinking included. */
  cases: number;
  shrinks: number;
  /** Cases discarded as outside the model's domain (eager failed there), and the first one's reason. */
  discarded?: number;
  discardedReason?: string;
  ok: boolean;
  /** The smallest failing case fast-check shrank to, with its failure. */
  counterexample?: FuzzCase;
  status?: string;
  error?: string;
  maxAbsError: number;
  maxRelError: number;
}

class CaseFailure extends Error {
  constructor(readonly outcome: CaseOutcome) {
    super(outcome.error ?? 'mismatch');
  }
}

/**
 * Runs ``check`` on generated cases. A thrown error that is not a case's verdict (a crashed or
 * timed-out worker) stops the fuzzing and is rethrown: shrinking against a dead worker would report
 * a wrong smallest shape.
 */
export async function fuzzShapes(
  space: FuzzSpace, sample: { batch: number; seq: number }, check: (c: FuzzCase) => Promise<CaseOutcome>, options: FuzzOptions,
): Promise<FuzzSummary> {
  let fatal: unknown;
  let cases = 0;
  let discarded = 0;
  let discardedReason: string | undefined;
  let maxAbsError = 0;
  let maxRelError = 0;
  const failures = new Map<string, CaseOutcome>();
  const property = fc.asyncProperty(fuzzCase(space, sample), async (c) => {
    if (fatal !== undefined) throw fatal;
    cases += 1;
    let outcome: CaseOutcome;
    try {
      outcome = await check(c);
    } catch (error) {
      fatal = error;
      throw error;
    }
    if (outcome.discarded !== undefined) {
      cases -= 1;
      discarded += 1;
      discardedReason ??= outcome.discarded;
      fc.pre(false); // fast-check draws another case instead, and never shrinks towards this one
    }
    if (Number.isFinite(outcome.maxAbsError)) maxAbsError = Math.max(maxAbsError, outcome.maxAbsError);
    if (Number.isFinite(outcome.maxRelError)) maxRelError = Math.max(maxRelError, outcome.maxRelError);
    if (!outcome.ok) {
      failures.set(JSON.stringify(c), outcome);
      throw new CaseFailure(outcome);
    }
  });
  const details = await fc.check(property, {
    numRuns: options.numRuns,
    seed: options.seed,
    path: options.path,
    // the same examples on replay: a path counts them among the values it walks
    examples: edgeCases(space, sample).map((c) => [c] as [FuzzCase]),
    interruptAfterTimeLimit: options.budgetMs,
    markInterruptAsFailure: false,
  });
  if (fatal !== undefined) throw fatal;
  const base = {
    seed: options.seed, path: options.path, cases, shrinks: details.numShrinks, maxAbsError, maxRelError,
    ...(discarded ? { discarded, discardedReason } : {}),
  };
  if (!details.failed || !details.counterexample) return { ...base, ok: true };
  const [counterexample] = details.counterexample;
  const outcome = failures.get(JSON.stringify(counterexample));
  return {
    ...base,
    ok: false,
    path: details.counterexamplePath ?? undefined,
    counterexample,
    status: outcome?.status ?? 'mismatch',
    error: `smallest failing shape ${describeCase(counterexample)}: ${outcome?.error ?? details.errorInstance}`,
  };
}
