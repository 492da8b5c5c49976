// allure-results from a run folder's job results, for the CLI (`run --allure DIR`, `report --allure
// DIR`): the same results.jsonl lines as the dashboard and the JUnit XML, the same allure data per
// job as the vitest suite reports (allure-job.ts), written as Allure's own files (one
// <uuid>-result.json per job, its attachments beside it, environment.properties from the manifest),
// so `npx allure generate DIR` renders them as it renders the suite's.
// Status as in the JUnit XML (junit.ts): pass and partial pass; skipped and xfail are skipped; broken
// is allure's broken (the job never reached the exporter); xpass and every failing status are failed,
// with the error headline as message and the traceback, cause chain and native stderr as trace.
// Labels: suite = backend, subSuite = model, and model, class, mode, status as labels of their own.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Stage, Status } from 'allure-js-commons';
import { FileSystemWriter, getHostLabel, getLanguageLabel, md5, ReporterRuntime } from 'allure-js-commons/sdk/reporter';
import type { ModelEntry } from '../catalog/default-models.js';
import type { RunManifest } from '../results/run-folder.js';
import type { JobResult } from '../sweep/job-result.js';
import type { Job } from '../sweep/jobs.js';
import { allureMessages } from './allure-job.js';
import { junitOutcome } from './junit.js';

/** The vitest suite's full name for a job's test (allure-vitest: `<package name>:<file>#<describe> <test>`),
 * so a job is one test in allure's history whichever entry point ran it. */
export const allureFullName = (r: Pick<JobResult, 'backend' | 'id'>) => `export-sweep:suites/export-sweep.test.ts#${r.backend} ${r.id}`;

// Allure's own file names (results, containers, attachments, the two run-level files): what a
// writer clears from DIR before writing, since allure renders every result it finds there.
const ALLURE_FILE = /^(?:[0-9a-f-]{36}-(?:result\.json|container\.json|attachment\.\w+)|environment\.properties|categories\.json)$/;

const STATUS = { pass: Status.PASSED, skipped: Status.SKIPPED, failure: Status.FAILED, error: Status.BROKEN } as const;

/** The job a result stands for: its model entry from the manifest (for the family and class
 * labels), else one made of the result's own fields. */
function jobOf(result: JobResult, models: Map<string, ModelEntry>): Job {
  const model = models.get(result.model) ?? { id: result.model, class: result.modelClass, model_type: '', task: '', seed: 0, config: {} };
  return { id: result.id, model: { ...model, class: result.modelClass || model.class }, backend: result.backend, mode: result.mode };
}

/** Writes one allure result per job into ``dir`` (created; earlier allure files there removed);
 * returns the number of results written. */
export async function writeAllureResults(dir: string, results: JobResult[], runDir: string, manifest?: RunManifest): Promise<number> {
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) if (ALLURE_FILE.test(name)) rmSync(join(dir, name));
  const runtime = new ReporterRuntime({
    writer: new FileSystemWriter({ resultsDir: dir }),
    environmentInfo: manifest && {
      run: runDir, pins: manifest.pins.name, commit: manifest.git.commit ?? '?',
      ...Object.fromEntries(Object.entries(manifest.versions).map(([name, version]) => [name, version ?? 'not installed'])),
    },
  });
  const models = new Map((manifest?.selection.models ?? []).map((m) => [m.id, m]));
  for (const result of [...results].sort((a, b) => a.id.localeCompare(b.id))) {
    const job = jobOf(result, models);
    const outcome = junitOutcome(result, runDir);
    const stop = Date.parse(result.finishedAt ?? '') || Date.now();
    const fullName = allureFullName(result);
    const uuid = runtime.startTest({
      name: result.id, fullName, testCaseId: md5(fullName), start: stop - result.durationsMs.total,
      labels: [
        { name: 'suite', value: result.backend }, { name: 'subSuite', value: result.model },
        { name: 'model', value: result.model }, { name: 'class', value: result.modelClass }, { name: 'mode', value: result.mode },
        { name: 'status', value: result.status }, { name: 'package', value: `${result.backend}.${result.model}` },
        { name: 'framework', value: 'export-sweep' }, getLanguageLabel(), getHostLabel(),
      ],
    });
    runtime.applyRuntimeMessages(uuid, await allureMessages(job, result));
    runtime.updateTest(uuid, (test) => {
      test.status = STATUS[outcome.kind];
      test.stage = Stage.FINISHED;
      if (outcome.kind !== 'pass') test.statusDetails = { message: outcome.message, trace: outcome.body };
    });
    runtime.stopTest(uuid, { stop });
    runtime.writeTest(uuid);
  }
  if (manifest) runtime.writeEnvironmentInfo();
  return results.length;
}
