// What an expectation makes of a job's own outcome, in one place for the sweep (as each job ends)
// and for the catalog status (recorded results read again under today's lists, so an entry added
// after a shard ran explains its failures without running the shard again, and a removed one stops
// explaining them).
import { passed, type JobResult, type JobStatus } from '../sweep/job-result.js';
import { failureText, findSkip, skipRef, type LoadedEntry, type MatchedJob } from './skip-list.js';

/** A result under the export-skip entry covering its job. A probed skip: stale when the job passes,
 * else ``skipped`` still. An xfail: ``xfail`` when the failure matches the entry's error, ``xpass``
 * (stale) when the job passes, and its own failing status, the entry named, for any other error.
 * A dynamic job that passed unfuzzed (--shapes 0) is left ``pass``: a failure its entry expects at
 * a fuzzed shape could not show, so the pass says nothing about the entry. */
export function expected(result: JobResult, entry: LoadedEntry): JobResult {
  const skip = skipRef(entry);
  if (entry.kind === 'skip') return passed(result) ? { ...result, skip, staleSkip: true } : { ...result, skip, probed: result.status, status: 'skipped' };
  if (passed(result)) return result.mode === 'dynamic' && !result.fuzz ? { ...result, skip } : { ...result, skip, probed: result.status, staleSkip: true, status: 'xpass' };
  return entry.errorPattern!.test(failureText(result))
    ? { ...result, skip, probed: result.status, status: 'xfail' }
    : { ...result, skip, unexpectedError: true };
}

/** The job's own outcome, with whatever expectation it was judged under taken off; ``undefined`` for
 * a job an entry skipped unrun (there is no outcome to judge again). */
export function ownOutcome(result: JobResult): JobResult | undefined {
  const { skip: _skip, probed, staleSkip: _stale, unexpectedError: _unexpected, ...rest } = result;
  if (result.status === 'skipped' && !probed) return undefined;
  const status: JobStatus = ['skipped', 'xfail', 'xpass'].includes(result.status) ? probed ?? result.status : result.status;
  return { ...rest, status };
}

/** ``result`` judged under ``entries`` as they stand now (pin set ``pinSet``): the covering entry's
 * verdict, or the job's own outcome when none covers it. ``undefined``: the job was skipped unrun
 * and no entry skips it any more, so it must run again before it can count. */
export function judgedAgain(result: JobResult, job: MatchedJob, entries: LoadedEntry[], pinSet: string): JobResult | undefined {
  const entry = findSkip(entries, job, pinSet);
  const own = ownOutcome(result);
  if (!own) {
    return entry?.kind === 'skip' ? { ...result, skip: skipRef(entry) } : undefined;
  }
  return entry ? expected(own, entry) : own;
}
