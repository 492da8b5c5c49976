// JUnit XML from job results: parsed back with Python's expat (a strict XML parser, so a file CI
// would reject fails here), per status, and through the real CLI's `report --junit`.
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelEntries, selectModels } from '../catalog/default-models.js';
import { REPO_ROOT } from '../python/paths.js';
import { newManifest, RESULTS, RunFolder } from '../results/run-folder.js';
import type { JobResult } from '../sweep/job-result.js';
import { BROKEN_AT_EAGER, PARTIAL, REUSED_PASS, SHAPE_MISMATCH, XFAIL, XPASS } from './example-results.js';
import { parseJunit } from './junit-parse.js';
import { junitXml } from './junit.js';

const SKIPPED: JobResult = {
  ...REUSED_PASS, id: 'tiny-mamba/executorch/dynamic', model: 'tiny-mamba', backend: 'executorch', mode: 'dynamic', status: 'skipped',
  durationsMs: { total: 0 }, skip: { ...XFAIL.skip!, kind: 'skip', reason: 'unrolled scan', link: 'https://github.com/pytorch/executorch/issues/1' },
};
const CRASHED: JobResult = {
  ...SHAPE_MISMATCH, id: 'tiny-whisper/executorch/static', model: 'tiny-whisper', backend: 'executorch', status: 'crashed', errorInfo: undefined,
  error: 'worker exited with SIGSEGV', stderrTail: '\u001b[31mfatal\u001b[0m: <segfault> & "core" dumped\u0000',
};
// the examples' xfail and xpass share their ids with the mismatch and the pass they are made from
const EXPECTED_FAILURE: JobResult = { ...XFAIL, id: 'tiny-gpt2/dynamo/static', backend: 'dynamo' };
const ALL = [BROKEN_AT_EAGER, PARTIAL, SHAPE_MISMATCH, REUSED_PASS, EXPECTED_FAILURE, { ...XPASS, id: 'tiny-gpt2/onnx/dynamic' }, SKIPPED, CRASHED];

async function written(results: JobResult[]): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'junit-')), 'junit.xml');
  appendFileSync(file, junitXml(results, '/runs/r1'));
  return file;
}

describe('junitXml', () => {
  it('is well-formed XML with one testsuite per backend and one testcase per job, counts that match', async () => {
    expect(new Set(ALL.map((r) => r.id)).size).toBe(ALL.length);
    const doc = parseJunit(await written(ALL));
    expect(doc.tag).toBe('testsuites');
    const backends = [...new Set(ALL.map((r) => r.backend))].sort();
    expect(doc.suites.map((s) => s.name)).toEqual(backends);
    for (const suite of doc.suites) {
      const own = ALL.filter((r) => r.backend === suite.name);
      expect(suite.cases.map((c) => c.name).sort()).toEqual(own.map((r) => r.id).sort());
      const count = (tag: string) => suite.cases.filter((c) => c.children.some((e) => e.tag === tag)).length;
      expect(suite.attrs).toMatchObject({ tests: String(own.length), failures: String(count('failure')), errors: String(count('error')), skipped: String(count('skipped')) });
    }
    expect(Number(doc.attrs.tests)).toBe(ALL.length);
    expect(Number(doc.attrs.failures) + Number(doc.attrs.errors) + Number(doc.attrs.skipped)).toBe(ALL.filter((r) => r.status !== 'pass' && r.status !== 'partial').length);
  });

  it('maps every status: failure with headline and traceback, broken as error, skip and xfail as skipped, xpass as failure', async () => {
    const cases = new Map(parseJunit(await written(ALL)).suites.flatMap((s) => s.cases).map((c) => [c.name, c]));
    const only = (id: string) => { const c = cases.get(id)!; expect(c.children.filter((e) => e.tag !== 'system-out'), id).toHaveLength(1); return c.children[0]; };

    const mismatch = only(SHAPE_MISMATCH.id);
    expect(mismatch).toMatchObject({ tag: 'failure', type: 'mismatch' });
    expect(mismatch.message).toBe(`${SHAPE_MISMATCH.errorInfo!.type}: ${SHAPE_MISMATCH.errorInfo!.message.split('\n')[0]}`);
    expect(mismatch.text).toContain(`${SHAPE_MISMATCH.errorInfo!.type}: ${SHAPE_MISMATCH.errorInfo!.message}`);
    expect(cases.get(SHAPE_MISMATCH.id)!.classname).toBe(`${SHAPE_MISMATCH.backend}.${SHAPE_MISMATCH.model}`);

    const broken = only(BROKEN_AT_EAGER.id);
    expect(broken).toMatchObject({ tag: 'error', type: BROKEN_AT_EAGER.errorInfo!.type });
    expect(broken.text).toContain(BROKEN_AT_EAGER.errorInfo!.traceback!);

    expect(only(EXPECTED_FAILURE.id)).toMatchObject({ tag: 'skipped' });
    expect(only(EXPECTED_FAILURE.id).message).toMatch(/^expected failure: /);
    expect(only(EXPECTED_FAILURE.id).message).toContain(XFAIL.skip!.link);
    expect(only('tiny-gpt2/onnx/dynamic')).toMatchObject({ tag: 'failure', type: 'xpass' });
    expect(only('tiny-gpt2/onnx/dynamic').message).toMatch(/^unexpectedly passed: xpass: the xfail entry/);
    expect(only(SKIPPED.id).tag).toBe('skipped');
    expect(only(SKIPPED.id).message).toContain('https://github.com/pytorch/executorch/issues/1');

    expect(cases.get(REUSED_PASS.id)!.children).toEqual([]);
    expect(cases.get(PARTIAL.id)!.children.map((e) => e.tag)).toEqual(['system-out']);
    expect(cases.get(PARTIAL.id)!.children[0].text).toContain(PARTIAL.inputsNotFed!.join(', '));

    // control characters (ANSI colours, NUL) are dropped, markup is escaped and read back as written
    const crashed = only(CRASHED.id);
    expect(crashed).toMatchObject({ tag: 'failure', type: 'crashed', message: 'worker exited with SIGSEGV' });
    expect(crashed.text).toContain('[31mfatal[0m: <segfault> & "core" dumped');
  });
});

describe('export-sweep report --junit', () => {
  it('writes the run folder\'s results as JUnit XML and exits 1 for its failures', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'junit-run-')), 'run');
    new RunFolder(dir).writeManifest(newManifest({ models: selectModels(loadModelEntries(), ['tiny-bert']), backends: ['dynamo', 'onnx'], modes: ['static'], shapes: 0, seed: 1 }, {}));
    const as = (r: JobResult, backend: string): JobResult => ({ ...r, id: `tiny-bert/${backend}/static`, model: 'tiny-bert', modelClass: 'BertModel', backend, mode: 'static' });
    appendFileSync(join(dir, RESULTS), `${[as(REUSED_PASS, 'dynamo'), as(SHAPE_MISMATCH, 'onnx')].map((r) => JSON.stringify(r)).join('\n')}\n`);
    const file = join(dir, 'out', 'junit.xml');
    const cli = spawnSync(join(REPO_ROOT, 'bin/export-sweep'), ['report', dir, '--junit', file], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(1);
    expect(cli.stdout).toContain(`junit: ${file}`);
    const doc = parseJunit(file);
    expect(doc.suites.map((s) => [s.name, s.attrs.tests, s.attrs.failures])).toEqual([['dynamo', '1', '0'], ['onnx', '1', '1']]);
    expect(readFileSync(file, 'utf8')).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="export-sweep" tests="2" failures="1" errors="0" skipped="0"/);
  });
});
