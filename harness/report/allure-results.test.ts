// allure-results written from a run folder's results (the example results, as results.jsonl holds
// them): one result file per job with allure's status, stage, message and trace, the labels to group
// by, the attachments on disk; and through the real CLI's `report --allure`.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestResult } from 'allure-js-commons';
import { describe, expect, it } from 'vitest';
import { loadModelEntries, selectModels } from '../catalog/default-models.js';
import { REPO_ROOT } from '../python/paths.js';
import { newManifest, RESULTS, RunFolder } from '../results/run-folder.js';
import type { JobResult } from '../sweep/job-result.js';
import { allureFullName, writeAllureResults } from './allure-results.js';
import { BROKEN_AT_EAGER, PARTIAL, REUSED_PASS, SHAPE_MISMATCH, XFAIL, XPASS } from './example-results.js';

// the examples' xfail and xpass share their ids with the mismatch and the pass they are made from
const EXPECTED_FAILURE: JobResult = { ...XFAIL, id: 'tiny-gpt2/dynamo/static', backend: 'dynamo' };
const STALE: JobResult = { ...XPASS, id: 'tiny-gpt2/onnx/dynamic' };
const ALL = [BROKEN_AT_EAGER, PARTIAL, SHAPE_MISMATCH, REUSED_PASS, EXPECTED_FAILURE, STALE];

/** A run folder holding ``results`` (its manifest names the default set's models). */
async function runFolder(results: JobResult[]): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'allure-run-')), 'run');
  new RunFolder(dir).writeManifest(newManifest({ models: selectModels(loadModelEntries(), ['tiny-bert', 'tiny-gpt2']), backends: ['dynamo', 'onnx', 'executorch'], modes: ['static', 'dynamic'], shapes: 0, seed: 1 }, { torch: '2.9.0', onnx: null }));
  appendFileSync(join(dir, RESULTS), `${results.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return dir;
}

function readResults(dir: string): Map<string, TestResult> {
  const files = readdirSync(dir).filter((name) => name.endsWith('-result.json'));
  return new Map(files.map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as TestResult).map((r) => [r.name!, r]));
}

const label = (r: TestResult, name: string) => r.labels.filter((l) => l.name === name).map((l) => l.value);
type Node = Pick<TestResult, 'attachments' | 'steps'>;
/** Attachments by name with their file's text, the result's own and its steps' (allure files each in a step of its own). */
const attachmentsOf = (r: Node, dir: string): Record<string, string> => Object.assign(
  Object.fromEntries((r.attachments ?? []).map((a) => [a.name, readFileSync(join(dir, a.source), 'utf8')])),
  ...(r.steps ?? []).map((step) => attachmentsOf(step, dir)),
);

describe('writeAllureResults', () => {
  it('writes one finished result per job with the status JUnit gives it, the labels and the history key', async () => {
    const runDir = await runFolder(ALL);
    const out = join(runDir, 'allure');
    expect(await writeAllureResults(out, ALL, runDir, new RunFolder(runDir).readManifest())).toBe(ALL.length);
    const written = readResults(out);
    expect([...written.keys()].sort()).toEqual(ALL.map((r) => r.id).sort());
    const statusOf = Object.fromEntries([...written].map(([id, r]) => [id, [r.status, r.stage]]));
    expect(statusOf).toEqual({
      [BROKEN_AT_EAGER.id]: ['broken', 'finished'], [PARTIAL.id]: ['passed', 'finished'], [SHAPE_MISMATCH.id]: ['failed', 'finished'],
      [REUSED_PASS.id]: ['passed', 'finished'], [EXPECTED_FAILURE.id]: ['skipped', 'finished'], [STALE.id]: ['failed', 'finished'],
    });
    for (const result of ALL) {
      const r = written.get(result.id)!;
      expect(label(r, 'suite')).toEqual([result.backend]);
      expect(label(r, 'model')).toEqual([result.model]);
      expect(label(r, 'class')).toEqual([result.modelClass]);
      expect(label(r, 'epic')).toEqual([result.backend]); // allure-job.ts's own labels, as the suite reports them
      expect(r.fullName).toBe(allureFullName(result));
      expect(r.stop! - r.start!).toBe(Math.round(result.durationsMs.total));
    }
    // the manifest's model entry gives the family (feature); a result's own fields stand in otherwise
    expect(label(written.get(EXPECTED_FAILURE.id)!, 'feature')).toEqual(['gpt2']);
    expect(label(written.get(BROKEN_AT_EAGER.id)!, 'feature')).toEqual(['unknown']);
    // a job's history is one line whatever its status: the status parameter is excluded from it
    expect(written.get(STALE.id)!.parameters.find((p) => p.name === 'status')).toMatchObject({ value: 'xpass', excluded: true });
  });

  it('gives a failure its headline as message, the traceback and cause chain as trace, and attachments on disk', async () => {
    const runDir = await runFolder(ALL);
    const out = join(runDir, 'allure');
    await writeAllureResults(out, ALL, runDir, new RunFolder(runDir).readManifest());
    const written = readResults(out);

    const broken = written.get(BROKEN_AT_EAGER.id)!;
    expect(broken.statusDetails.message).toBe(`RuntimeError: ${BROKEN_AT_EAGER.errorInfo!.message}`);
    expect(broken.statusDetails.trace).toContain(BROKEN_AT_EAGER.errorInfo!.traceback!);
    expect(broken.statusDetails.trace).toContain('caused by IndexError: index 0 is out of bounds');
    const attachments = attachmentsOf(broken, out);
    expect(attachments.traceback).toBe(BROKEN_AT_EAGER.errorInfo!.traceback);
    expect(attachments['native stderr (tail)']).toContain('pixel_values resized');
    expect(broken.steps.filter((s) => s.name!.startsWith('stage ')).map((s) => [s.name, s.status])).toEqual([['stage checkpoint', 'passed'], ['stage inputs', 'passed'], ['stage eager', 'broken']]);

    const mismatch = written.get(SHAPE_MISMATCH.id)!;
    expect(mismatch.statusDetails.message).toBe(`${SHAPE_MISMATCH.errorInfo!.type}: ${SHAPE_MISMATCH.errorInfo!.message.split('\n')[0]}`);
    expect(JSON.parse(attachmentsOf(mismatch, out)['failing leaves'])[0]).toMatchObject({ name: 'logits', problem: 'shape' });

    expect(written.get(EXPECTED_FAILURE.id)!.statusDetails.message).toMatch(/^expected failure: .*https:\/\/github\.com\//);
    expect(written.get(STALE.id)!.statusDetails.message).toMatch(/^unexpectedly passed: /);
    expect(written.get(REUSED_PASS.id)!.statusDetails).toEqual({});

    const environment = readFileSync(join(out, 'environment.properties'), 'utf8');
    expect(environment).toContain('torch=2.9.0');
    expect(environment).toContain('onnx=not installed');
  });

  it('replaces earlier allure files in the folder and leaves other files alone', async () => {
    const runDir = await runFolder(ALL);
    const out = join(runDir, 'allure');
    await writeAllureResults(out, ALL, runDir);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    await writeAllureResults(out, [REUSED_PASS], runDir);
    expect([...readResults(out).keys()]).toEqual([REUSED_PASS.id]);
    expect(readdirSync(out).filter((name) => name.includes('-attachment'))).toEqual([]);
    expect(existsSync(join(out, 'notes.txt'))).toBe(true);
  });
});

describe('export-sweep report --allure', () => {
  it('writes the run folder\'s results as allure-results, exits 1 for its failures, and Allure renders them', async () => {
    const runDir = await runFolder([REUSED_PASS, SHAPE_MISMATCH]);
    const out = join(runDir, 'out', 'allure-results');
    const cli = spawnSync(join(REPO_ROOT, 'bin/export-sweep'), ['report', runDir, '--allure', out], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(1);
    expect(cli.stdout).toContain(`allure: ${out} (2 results;`);
    expect([...readResults(out)].map(([id, r]) => [id, r.status]).sort()).toEqual([[SHAPE_MISMATCH.id, 'failed'], [REUSED_PASS.id, 'passed']].sort());
    // what `npm run report:allure` runs, on this folder (Allure Report 3, about 3 s)
    const html = join(runDir, 'out', 'allure-report');
    const render = spawnSync(join(REPO_ROOT, 'node_modules/.bin/allure'), ['generate', out, '-o', html], { cwd: runDir, encoding: 'utf8' });
    expect(render.status, render.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(html, 'summary.json'), 'utf8')).stats).toEqual({ total: 2, passed: 1, failed: 1 });
  }, 60_000);
});
