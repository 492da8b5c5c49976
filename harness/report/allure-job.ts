// A sweep job's result as allure data, one model for both entry points: the vitest suites report it
// through allure-vitest's runtime, the CLI (`run --allure`, `report --allure`, allure-results.ts)
// captures the same calls as messages and writes them itself. Labels to group by (epic = backend,
// feature = family, story = class), parameters, the stage ladder as steps, the comparison as a step,
// the error whole (traceback, cause chain, native stderr) and the smallest failing shape as
// attachments. A broken job is allure's own "broken" (a problem of the test set-up, not a failed
// check): allure-vitest takes a test's status from what it throws, hence throwIfBroken.
import * as allure from 'allure-js-commons';
import { Status } from 'allure-js-commons';
import { getStatusFromError, type RuntimeMessage } from 'allure-js-commons/sdk';
import { getGlobalTestRuntime, MessageHolderTestRuntime, setGlobalTestRuntime } from 'allure-js-commons/sdk/runtime';
import { entryName } from '../skips/skip-list.js';
import { failedWhenRun, type JobResult } from '../sweep/job-result.js';
import type { Job } from '../sweep/jobs.js';
import { expectationNote, failedStage } from './error-text.js';

export async function reportJobToAllure(job: Job, result: JobResult): Promise<void> {
  await allure.epic(job.backend);
  await allure.feature(job.model.model_type || 'unknown');
  await allure.story(job.model.class);
  await allure.parameter('mode', job.mode);
  await allure.parameter('shape', `${result.shapes[0]?.shape.batch ?? '-'}x${result.shapes[0]?.shape.seq ?? '-'}`);
  // what varies from run to run of the same job stays out of allure's history id, so a job's history
  // (and a retry's) is one line whatever its status
  await allure.parameter('status', result.status, { excluded: true });
  if (result.skip) await allure.link(result.skip.link, `skip-list ${result.skip.kind ?? 'skip'}: ${entryName(result.skip)}`, 'issue');
  const note = expectationNote(result);
  if (note) await allure.description(note);
  if (result.reusedFrom) await allure.parameter('reused from', `${result.reusedFrom.runDir} (${result.reusedFrom.finishedAt})`, { excluded: true });
  if (result.inputsFed) await allure.parameter('inputs fed', result.inputsFed.join(', ') || '-');
  if (result.inputsNotFed?.length) await allure.parameter('inputs not fed (untested)', result.inputsNotFed.join(', '));
  const failedRung = failedWhenRun(result) ? failedStage(result)?.split(':')[0] : undefined;
  // an expected failure's rung is allure's "skipped", as allure-pytest files an xfail
  const failedAs = result.status === 'broken' ? Status.BROKEN : result.status === 'xfail' ? Status.SKIPPED : Status.FAILED;
  for (const rung of result.stages ?? []) {
    const status = rung !== failedRung ? Status.PASSED : failedAs;
    await allure.logStep(`stage ${rung}`, status);
  }
  for (const check of result.shapes.slice(0, 1).flatMap((s) => s.checks)) {
    await allure.step(`compare ${check.runtime} with ${check.against}: max abs ${check.maxAbsError?.toExponential(2) ?? 'not finite'}`, async () => {
      if (check.failures.length) await allure.attachment('failing leaves', JSON.stringify(check.failures, null, 1), 'application/json');
    });
  }
  if (result.fuzz) {
    await allure.step(`fuzz ${result.fuzz.cases} shapes (seed ${result.fuzz.seed})`, () => undefined);
    if (result.fuzz.counterexample) {
      await allure.attachment('smallest failing shape', JSON.stringify({ ...result.fuzz.counterexample, path: result.fuzz.path }, null, 1), 'application/json');
    }
  }
  for (const prompt of result.generation?.prompts ?? []) {
    await allure.step(`generate ${result.generation!.steps} tokens from a ${prompt.length}-token prompt in ${result.generation!.runtime}: ${prompt.ok ? 'eager tokens' : 'differs'}`, async () => {
      await allure.attachment(`tokens, prompt ${prompt.length}`, JSON.stringify({ eager: prompt.eager, exported: prompt.exported, ties: prompt.ties, failures: prompt.failures }, null, 1), 'application/json');
    });
  }
  const info = result.errorInfo;
  if (info) {
    await allure.attachment('error', `${info.type} at ${info.stage}: ${info.message}`, 'text/plain');
    if (info.traceback) await allure.attachment('traceback', info.traceback, 'text/plain');
    if (info.causes?.length) await allure.attachment('cause chain', info.causes.map((c, i) => `${i + 1}. ${c.type}: ${c.message}`).join('\n'), 'text/plain');
    const stderr = info.stderrTail ?? result.stderrTail;
    if (stderr) await allure.attachment('native stderr (tail)', stderr, 'text/plain');
  } else if (result.error) {
    await allure.attachment('error', `${result.error}\n${result.stderrTail ?? ''}`, 'text/plain');
  }
}

/** The allure messages reportJobToAllure makes for a job, caught by allure's own message-holding
 * runtime in place of whatever runtime is set (allure-vitest's in a suite) for the length of the call. */
export async function allureMessages(job: Job, result: JobResult): Promise<RuntimeMessage[]> {
  const previous = getGlobalTestRuntime();
  const holder = new MessageHolderTestRuntime();
  setGlobalTestRuntime(holder);
  try {
    await reportJobToAllure(job, result);
  } finally {
    setGlobalTestRuntime(previous);
  }
  return holder.messages();
}

/** A job that never reached the exporter. Not an assertion: allure files the test as broken. */
export class BrokenJobError extends Error {
  override name = 'BrokenJobError';
}

/** Throws a BrokenJobError for a broken job, so the suite's test is allure's "broken" rather than a
 * failed conformance check; its stack is the job's Python traceback and cause chain. */
export function throwIfBroken(result: JobResult): void {
  if (result.status !== 'broken') return;
  const stage = failedStage(result) ?? '?';
  const info = result.errorInfo;
  const causes = (info?.causes ?? []).map((c) => `caused by ${c.type}: ${c.message}`);
  const make = (message: string) => {
    const error = new BrokenJobError(message);
    error.stack = [`${error.name}: ${message}`, info ? `${info.type}: ${info.message}` : result.error ?? '', info?.traceback ?? '', ...causes].filter(Boolean).join('\n');
    return error;
  };
  const error = make(`${result.id} is broken at ${stage} (${info?.type ?? 'error'}): the job never reached the exporter`);
  // allure-vitest calls any error whose message mentions "assert" a failed check, so a Python
  // AssertionError named in the message would file the job as failed: then the type stays out
  throw getStatusFromError(error) === Status.BROKEN ? error : make(`${result.id} is broken at ${stage}: the job never reached the exporter`);
}
