// The CLI's exit codes, one table (README, "Exit codes"): CI scripts tell a sweep that found
// failures (1) from one that was called wrongly (2) or that broke itself (3).
import { MergeRefusedError } from '../results/merge-runs.js';
import { NotARunFolderError } from '../results/run-folder.js';
import { RunFolderLockedError } from '../results/run-folder-lock.js';
import { CorruptResultsError } from '../results/result-store.js';
import { SelectionError } from '../sweep/selection-error.js';
import { UsageError } from './args.js';

export const EXIT = { passed: 0, failures: 1, usage: 2, internal: 3 } as const;

/** Errors in what the caller gave (flags, a model, backend or mode that does not exist, a path that is no run folder, a folder another process is
 * writing, a results file to repair first, shards of different sweeps to merge) are usage errors; anything else is the harness's own. */
export function exitCodeFor(error: unknown): number {
  const callers = [UsageError, NotARunFolderError, RunFolderLockedError, CorruptResultsError, MergeRefusedError, SelectionError];
  return callers.some((kind) => error instanceof kind) ? EXIT.usage : EXIT.internal;
}
