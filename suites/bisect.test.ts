// A real bisect on a small bump: baseline against a pin set that moves two packages (onnx 1.21.0 ->
// 1.23.2 and onnxscript 0.7.0 -> 0.7.2, suites/fixtures/pins/onnx-bump.txt), with a regression that
// one of them brings. The regression is a planted bug (a test-only worker option, as in the other
// suites) that the worker plants only where the installed onnxscript is 0.7.2 or later: one row of
// the exported weights 1% off. Every pin set is real (resolved by uv, its own environment), every run
// a real sweep; the bisect must name onnxscript, not onnx.
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../harness/catalog/catalog.js';
import { loadModelEntries, selectModels } from '../harness/catalog/default-models.js';
import { loadTinyOverrides } from '../harness/catalog/tiny-overrides.js';
import { bisect, type BisectReport } from '../harness/drift/bisect.js';
import { bisectMarkdown, writeBisectFiles } from '../harness/drift/bisect-report.js';
import { BisectInputError } from '../harness/drift/run-pins.js';
import { REPO_ROOT } from '../harness/python/paths.js';
import { withPins } from '../harness/python/pin-set.js';
import { writeRunReport } from '../harness/report/write-report.js';
import { RunFolder } from '../harness/results/run-folder.js';
import { resolveModelFrom } from '../harness/sweep/checkpoints.js';
import { expandJobs } from '../harness/sweep/jobs.js';
import { runSweep } from '../harness/sweep/sweep.js';

const BASELINE = join(REPO_ROOT, 'pins', 'baseline.txt');
const BUMP = join(REPO_ROOT, 'suites', 'fixtures', 'pins', 'onnx-bump.txt');
const planted = { exportConfig: () => ({ debug_plant: 'wrong-weight@onnxscript>=0.7.2' }), workerEnv: { SWEEP_WORKER_DEBUG: '1' } };
const jobs = expandJobs(selectModels(loadModelEntries(), ['tiny-llama']), ['onnx'], ['static']);

async function runUnder(pinFile: string, runDir: string): Promise<void> {
  await withPins(pinFile, async () => {
    const catalog = await loadCatalog();
    await runSweep({ ...planted, jobs, runDir, workers: 1, resolveModel: resolveModelFrom({ catalog, overrides: loadTinyOverrides() }) });
  });
}

const lineCounts = (report: BisectReport) => report.sets.filter((s) => s.runDir).map((s) => readFileSync(join(s.runDir!, 'results.jsonl'), 'utf8').split('\n').filter(Boolean).length);

let root: string;
let report: BisectReport;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bisect-'));
  await runUnder(BASELINE, join(root, 'base'));
  await runUnder(BUMP, join(root, 'bump'));
  report = await bisect({ baseRun: join(root, 'base'), newRun: join(root, 'bump'), sweep: planted, workers: 1 });
}, 1_800_000);

describe('export-sweep bisect on a two-package bump', () => {
  it('the two runs differ by the planted regression only', () => {
    expect(new RunFolder(join(root, 'base')).results().map((r) => r.status)).toEqual(['pass']);
    const [bumped] = new RunFolder(join(root, 'bump')).results();
    expect(bumped.status).toBe('mismatch');
    expect(report.moves.map((m) => `${m.name} ${m.from} -> ${m.to}`).sort()).toEqual(['onnx 1.21.0 -> 1.23.2', 'onnxscript 0.7.0 -> 0.7.2']);
  });

  it('names onnxscript, with both versions, the error under it and its issue tracker', () => {
    expect(report.regressions).toBe(1);
    const [job] = report.jobs;
    expect(job).toMatchObject({ id: 'tiny-llama/onnx/static', verdict: 'blamed' });
    expect(job.culprits.map((c) => c.moves.map((m) => m.name))).toEqual([['onnxscript']]);
    expect(job.culprits[0].outcome).toMatchObject({ status: 'mismatch', failed: true });
    expect(job.before).toMatch(/^passed/);
    // the sets it ran under: the new pins (reproduced), the base pins (still passes), then each move alone
    expect(job.outcomes.map((o) => [o.set, o.failed])).toEqual([
      ['onnx-bump', true], ['baseline', false], ['baseline+onnx-1.23.2', false], ['baseline+onnxscript-0.7.2', true],
    ]);
    const markdown = bisectMarkdown(report);
    expect(markdown).toContain('onnxscript 0.7.0 -> 0.7.2');
    expect(markdown).toContain('https://github.com/microsoft/onnxscript/issues');
  });

  it("the new run's dashboard shows the findings, as the command leaves them", () => {
    writeBisectFiles(join(root, 'bump'), report);
    const page = readFileSync(writeRunReport(join(root, 'bump')).index, 'utf8');
    const section = page.slice(page.indexOf('<h2>Bisect against baseline</h2>'));
    expect(section).toContain('tiny-llama/onnx/static');
    expect(section).toContain('onnxscript 0.7.0 -&gt; 0.7.2');
    expect(section).toContain('href="https://github.com/microsoft/onnxscript/issues"');
  });

  it('a second bisect of the same runs reruns nothing: every set keeps its results', async () => {
    const before = lineCounts(report);
    const again = await bisect({ baseRun: join(root, 'base'), newRun: join(root, 'bump'), sweep: planted, workers: 1 });
    expect(again.jobs.map((j) => j.verdict)).toEqual(['blamed']);
    expect(lineCounts(again)).toEqual(before);
  });

  it('a regression that does not reproduce under the new pins is flaky: no package is blamed', async () => {
    // the same two runs, bisected without the plant: under the new pins the job passes now
    const copy = join(root, 'copy');
    for (const run of ['base', 'bump']) cpSync(join(root, run), join(copy, run), { recursive: true });
    rmSync(join(copy, 'bump', 'bisect'), { recursive: true, force: true });
    const flaky = await bisect({ baseRun: join(copy, 'base'), newRun: join(copy, 'bump'), workers: 1 });
    expect(flaky.jobs.map((j) => [j.id, j.verdict, j.culprits.length])).toEqual([['tiny-llama/onnx/static', 'flaky', 0]]);
    expect(flaky.sets.map((s) => s.name)).toEqual(['onnx-bump']);
  });

  it('two runs under the same pins have nothing to bisect, and say so', async () => {
    await expect(bisect({ baseRun: join(root, 'base'), newRun: join(root, 'base') })).rejects.toThrow(BisectInputError);
    await expect(bisect({ baseRun: join(root, 'base'), newRun: join(root, 'base') })).rejects.toThrow(/same pin set \(baseline, key [0-9a-f]+\)/);
  });
});
