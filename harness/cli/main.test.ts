// The command line as a user meets it, through the real entry point: --version, help, a bare call,
// one-line usage errors, and the exit code table (0 passed, 1 failures, 2 usage error, 3 internal).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../python/paths.js';
import { EXIT } from './exit-codes.js';
import { RUN_USAGE } from './run-command.js';

const cli = (...args: string[]) => spawnSync(join(REPO_ROOT, 'bin/export-sweep'), args, { cwd: REPO_ROOT, encoding: 'utf8' });
const lines = (text: string) => text.trim().split('\n');

describe('export-sweep without a command, help and --version', () => {
  it('a bare call prints the short usage with the exit code table and exits 0', () => {
    const bare = cli();
    expect(bare.status).toBe(0);
    expect(bare.stdout).toMatch(/^usage: export-sweep <command> \[options\]/);
    expect(bare.stdout).toMatch(/^ {2}run {12}export the selection/m);
    expect(bare.stdout).toMatch(/^ {2}catalog-status {1}record catalog shards/m);
    expect(bare.stdout).toContain('exit codes: 0 every job passed, 1 failures found, 2 usage error, 3 internal error');
    expect(cli('--help').stdout).toBe(bare.stdout);
    expect(cli('help').stdout).toBe(bare.stdout);
  });

  it('help <command> is that command\'s --help; help of an unknown command is a usage error', () => {
    const help = cli('help', 'run');
    expect(help.status).toBe(0);
    expect(help.stdout.trim()).toBe(RUN_USAGE.trim());
    const unknown = cli('help', 'sweeep');
    expect(unknown.status).toBe(EXIT.usage);
    expect(lines(unknown.stderr)).toEqual([expect.stringMatching(/^export-sweep: help: unknown command 'sweeep'; the commands are run, sweep, list, /)]);
  });

  it('--version prints the package version and the pin set in force', () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    const out = cli('--version');
    expect(out.status).toBe(0);
    const transformers = readFileSync(join(REPO_ROOT, 'pins', 'baseline.txt'), 'utf8').match(/^transformers==\S+/m)![0];
    expect(out.stdout.trim()).toMatch(new RegExp(`^export-sweep ${version.replaceAll('.', '\\.')} \\(pins baseline: .*${transformers.replaceAll('.', '\\.')}`));
  });
});

describe('exit codes and one-line usage errors', () => {
  it.each([
    [['run', '--bogus'], "export-sweep: unknown option '--bogus'; see `export-sweep run --help`"],
    [['run', '--jobs', '-1', '--models', 'tiny-bert'], "export-sweep: --jobs must be a positive integer, got '-1'; see `export-sweep run --help`"],
    [['diff', 'only-one'], 'export-sweep: diff needs two run folders; see `export-sweep diff --help`'],
    [['frobnicate'], "export-sweep: unknown command 'frobnicate'; see `export-sweep --help`"],
    [['run', '--backends', 'tvm', '--models', 'tiny-bert'], 'export-sweep: unknown backend(s) tvm; known: dynamo, onnx, executorch; see `export-sweep run --help`'],
    [['run', '--models', 'tiny-bert', '--shard', '3/2'], "export-sweep: --shard '3/2' must be i/n with 1 <= i <= n, e.g. 1/4; see `export-sweep run --help`"],
    [['run', '--models', 'bogus:x'], "export-sweep: model source 'bogus:x' is not one of hub:org/name[@revision], synthetic:ClassName, local:path; see `export-sweep run --help`"],
  ])('%j: exit 2, one line naming the problem and the help to read', (args, message) => {
    const out = cli(...args);
    expect(out.status).toBe(EXIT.usage);
    expect(lines(out.stderr)).toEqual([message]);
    expect(out.stdout).toBe('');
  });

  it('a path that is no run folder is a usage error (2); a run folder the harness cannot read is internal (3)', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'exit-'));
    const notRun = cli('report', empty);
    expect(notRun.status).toBe(EXIT.usage);
    expect(lines(notRun.stderr)).toEqual([`export-sweep: '${empty}' is not a sweep run folder (no manifest.json); pass the folder a sweep wrote (--out).`]);
    const damaged = join(empty, 'run');
    mkdirSync(damaged);
    writeFileSync(join(damaged, 'manifest.json'), '{"jobs": [');
    const internal = cli('report', damaged);
    expect(internal.status).toBe(EXIT.internal);
    expect(lines(internal.stderr)[0]).toMatch(/^export-sweep: .*JSON/);
    expect(internal.stderr, 'an internal error keeps its stack for the bug report').toMatch(/\n\s+at /);
  });
});

describe('one task vocabulary: list and run agree', () => {
  it('an unknown task is a usage error for both, listing the known (pipeline) task names', () => {
    for (const command of ['list', 'run']) {
      const out = cli(command, '--task', 'text-encoding');
      expect(out.status, command).toBe(EXIT.usage);
      expect(lines(out.stderr), command).toEqual([expect.stringMatching(new RegExp(`^export-sweep: --task 'text-encoding' is not one of the catalog's tasks: .*\\bfeature-extraction, fill-mask, .*\\btext-generation, .*; see \`export-sweep ${command} --help\`$`))]);
    }
  });

  it('list --default and the catalog use the same names, under a header', () => {
    const out = cli('list', '--default');
    expect(out.status).toBe(0);
    expect(lines(out.stdout)[0]).toMatch(/^ID\s+CLASS\s+MODEL TYPE\s+TASK$/);
    expect(out.stdout).toMatch(/^tiny-bert\s+BertModel\s+bert\s+feature-extraction$/m);
    const task = cli('list', '--task', 'feature-extraction', 'Bert?odel');
    expect(task.status).toBe(0);
    expect(lines(task.stdout)[0]).toMatch(/^CLASS\s+MODEL TYPE\s+TASK\s+MODALITY\s+GENERATIVE$/);
    expect(task.stdout).toMatch(/^BertModel\s+bert\s+feature-extraction\s+text$/m);
  });
});
