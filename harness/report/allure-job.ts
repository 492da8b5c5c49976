// A sweep job's result as allure data, for the vitest suites: labels to group by (epic = backend,
// feature = family, story = class), parameters, the comparison as a step, the error and the
// smallest failing shape as attachments.
import * as allure from 'allure-js-commons';
import type { JobResult } from '../sweep/job-result.js';
import type { Job } from '../sweep/jobs.js';

export async function reportJobToAllure(job: Job, result: JobResult): Promise<void> {
  await allure.epic(job.backend);
  await allure.feature(job.model.model_type || 'unknown');
  await allure.story(job.model.class);
  await allure.parameter('mode', job.mode);
  await allure.parameter('shape', `${result.shapes[0]?.shape.batch ?? '-'}x${result.shapes[0]?.shape.seq ?? '-'}`);
  if (result.skip) await allure.link(result.skip.link, `skip-list: ${result.skip.class}`, 'issue');
  for (const check of result.shapes.slice(0, 1).flatMap((s) => s.checks)) {
    await allure.step(`compare ${check.runtime} with ${check.against}: max abs ${check.maxAbsError.toExponential(2)}`, async () => {
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
  if (result.error) await allure.attachment('error', `${result.error}\n${result.stderrTail ?? ''}`, 'text/plain');
}
