// `export-sweep run`'s help and flags for what the sweep reuses: the recycling default and its off
// switch, and the one switch that turns both caches off; --junit through a real one-job run.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../python/paths.js';
import { parseJunit } from '../report/junit-parse.js';
import { DEFAULT_RECYCLE_AFTER_JOBS } from '../worker/pool.js';
import { UsageError } from './args.js';
import { parseRecycleAfter, RUN_USAGE } from './run-command.js';

describe('export-sweep run --help', () => {
  it('says the recycling default and how to turn it off', () => {
    expect(RUN_USAGE).toMatch(new RegExp(`--recycle-after N\\s+replace a worker after N jobs[^]*\\(default\\s+${DEFAULT_RECYCLE_AFTER_JOBS}; 0 or never: keep each worker`));
  });

  it('says --no-artifact-cache also runs unchanged passing jobs again', () => {
    expect(RUN_USAGE).toMatch(/--no-artifact-cache\s+run every job in full: no cached artifact or passing result/);
  });
});

describe('--recycle-after', () => {
  it('takes a job count, 0 or never (no recycling); absent keeps the default', () => {
    expect(parseRecycleAfter('25')).toBe(25);
    expect(parseRecycleAfter('0')).toBe(0);
    expect(parseRecycleAfter('never')).toBe(0);
    expect(parseRecycleAfter(undefined)).toBeUndefined();
  });

  it('names itself and what it takes when given something else', () => {
    for (const bad of ['-1', '2.5', 'always']) {
      expect(() => parseRecycleAfter(bad)).toThrow(UsageError);
      expect(() => parseRecycleAfter(bad)).toThrow(/--recycle-after must be a number of jobs \(0 or 'never' for no recycling\), got/);
    }
  });
});

describe('export-sweep run --junit', () => {
  it('writes the run\'s results as JUnit XML, the same file `report --junit` writes from the folder', async () => {
    const root = await mkdtemp(join(tmpdir(), 'run-junit-'));
    const [dir, fromRun, fromReport] = [join(root, 'run'), join(root, 'run.xml'), join(root, 'report.xml')];
    const cli = (...args: string[]) => spawnSync(join(REPO_ROOT, 'bin/export-sweep'), args, { cwd: REPO_ROOT, encoding: 'utf8' });
    // one cheap job; an unchanged passing job's result is reused from the result cache on later runs
    const run = cli('run', '--models', 'tiny-bert', '--backends', 'dynamo', '--modes', 'static', '--shapes', '0', '--jobs', '1', '--out', dir, '--junit', fromRun);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const doc = parseJunit(fromRun);
    expect(doc.attrs).toMatchObject({ tests: '1', failures: '0', errors: '0', skipped: '0' });
    expect(doc.suites.map((s) => [s.name, s.cases.map((c) => [c.classname, c.name, c.children])])).toEqual([['dynamo', [['dynamo.tiny-bert', 'tiny-bert/dynamo/static', []]]]]);
    expect(cli('report', dir, '--junit', fromReport).status).toBe(0);
    expect(readFileSync(fromReport, 'utf8')).toBe(readFileSync(fromRun, 'utf8'));
  }, 300_000);
});
