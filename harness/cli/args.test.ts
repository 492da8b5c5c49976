// The CLI's small failures a user hit: an empty list meant "everything", and a negative number got
// the parser's "argument is ambiguous" instead of the option's own range message.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../python/paths.js';
import { list, nonNegativeInt, parseCommand, positiveInt, seedInt, splitArgs, UsageError } from './args.js';
import { runCommand } from './run-command.js';

describe('empty values are usage errors, never "no filter"', () => {
  it('--models with an unset shell variable or only commas names the option and the fix', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'args-')), 'run');
    await expect(runCommand(['--models', '', '--out', out])).rejects.toThrow(UsageError);
    await expect(runCommand(['--models', '', '--out', out])).rejects.toThrow(/^--models was given an empty value \(an unset shell variable\?\); give it a value or leave --models out$/);
    await expect(runCommand(['--models', ' , ', '--out', out])).rejects.toThrow(/^--models ' , ' names nothing; give a comma-separated list/);
    await expect(runCommand(['--backends', ',', '--models', 'tiny-bert', '--out', out])).rejects.toThrow(/^--backends ',' names nothing/);
    expect(existsSync(out), 'a refused run must not create its folder').toBe(false);
  });

  it('applies to every command and every string option, and to list() itself', () => {
    expect(() => parseCommand(['--md='], 'usage', { md: { type: 'string' } } as const)).toThrow(/^--md was given an empty value/);
    expect(list('a, b,,c', '--x')).toEqual(['a', 'b', 'c']);
    expect(list(undefined, '--x')).toBeUndefined();
  });

  it('the real CLI exits 2 with one line on stderr', () => {
    const cli = spawnSync(join(REPO_ROOT, 'bin/export-sweep'), ['run', '--models', ''], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(cli.status).toBe(2);
    expect(cli.stderr.trim().split('\n')).toEqual(['export-sweep: --models was given an empty value (an unset shell variable?); give it a value or leave --models out; see `export-sweep run --help`']);
  });
});

describe('negative numbers reach the option\'s own check', () => {
  it.each([
    ['--jobs', '-1', '--jobs must be a positive integer, got \'-1\''],
    ['--threads', '0', '--threads must be a positive integer, got \'0\''],
    ['--timeout', '-2', '--timeout must be a positive integer, got \'-2\''],
    ['--max-memory', '-100', '--max-memory must be a positive integer, got \'-100\''],
    ['--shapes', '-3', '--shapes must be an integer >= 0, got \'-3\''],
    ['--recycle-after', '-1', '--recycle-after must be a number of jobs'],
    ['--seed', '-1.5', '--seed must be an integer from -2147483648 to 2147483647, got \'-1.5\''],
    ['--timeout', '1.5', '--timeout must be a positive integer, got \'1.5\''],
    ['--jobs', '1e3', '--jobs must be a positive integer, got \'1e3\''],
  ])('%s %s', async (flag, value, message) => {
    await expect(runCommand([flag, value, '--models', 'tiny-bert'])).rejects.toThrow(message);
  });

  it('a seed may be any 32-bit integer, negative too', () => {
    const { values } = parseCommand(['--seed', '-5'], 'usage', { seed: { type: 'string' } } as const)!;
    expect(seedInt(values.seed, '--seed')).toBe(-5);
    expect(seedInt('2147483647', '--seed')).toBe(2 ** 31 - 1);
    expect(() => seedInt('2147483648', '--seed')).toThrow(UsageError);
  });

  it('a dash that is not a number is still a flag, so a missing value is still reported, in one line', () => {
    const options = { jobs: { type: 'string' }, models: { type: 'string' } } as const;
    expect(() => parseCommand(['--jobs', '--models'], 'usage', options)).toThrow(/^--jobs needs a value$/);
    expect(() => parseCommand(['--models', 'a', '--jobs'], 'usage', options)).toThrow(/^--jobs needs a value$/);
    expect(() => parseCommand(['--bogus'], 'usage', options)).toThrow(/^unknown option '--bogus'$/);
  });

  it.each(['1e3', '0x10', '4.0', ' 4', '+2', '99999999999999999999'])('a count is decimal digits: --jobs %j is refused', (value) => {
    expect(() => positiveInt(value, '--jobs')).toThrow(`--jobs must be a positive integer, got '${value}'`);
    expect(() => nonNegativeInt(value, '--shapes')).toThrow(`--shapes must be an integer >= 0, got '${value}'`);
  });
});

describe('the real CLI answers a bad number with one line and exit 2', () => {
  // one spawn each (about a second): what a user sees, through main.ts's exit code table; the other
  // flags' messages are checked through runCommand above
  it.each([
    [['--jobs', '-1'], '--jobs must be a positive integer, got \'-1\''],
    [['--shapes', '-3'], '--shapes must be an integer >= 0, got \'-3\''],
    [['--seed', '2147483648'], '--seed must be an integer from -2147483648 to 2147483647, got \'2147483648\''],
    [['--shard', '3/2'], '--shard \'3/2\' must be i/n with 1 <= i <= n, e.g. 1/4'],
    [['--models', 'tiny-bert', '--jobs'], '--jobs needs a value'],
  ])('run %j', (args, message) => {
    const cli = spawnSync(join(REPO_ROOT, 'bin/export-sweep'), ['run', '--models', 'tiny-bert', ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(2);
    expect(cli.stderr.trim().split('\n')).toEqual([`export-sweep: ${message}; see \`export-sweep run --help\``]);
    expect(cli.stdout).toBe('');
  });

  it('coverage --jobs -1 too', () => {
    const cli = spawnSync(join(REPO_ROOT, 'bin/export-sweep'), ['coverage', '--jobs', '-1'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(cli.status).toBe(2);
    expect(cli.stderr.trim().split('\n')).toEqual(['export-sweep: --jobs must be a positive integer, got \'-1\'; see `export-sweep coverage --help`']);
  });
});

describe('splitArgs: a command line in one variable (SWEEP_ARGS)', () => {
  it('splits on blanks and keeps quoted words whole, an empty quoted word included', () => {
    expect(splitArgs('  --models tiny-bert,tiny-gpt2\t--backends onnx ')).toEqual(['--models', 'tiny-bert,tiny-gpt2', '--backends', 'onnx']);
    expect(splitArgs(`'*ForCausalLM' --out "/tmp/a b" --models ''`)).toEqual(['*ForCausalLM', '--out', '/tmp/a b', '--models', '']);
    expect(splitArgs('--seed=-1 a"b c"d')).toEqual(['--seed=-1', 'ab cd']);
    expect(splitArgs('')).toEqual([]);
  });

  it('refuses an unclosed quote, naming the variable', () => {
    expect(() => splitArgs(`--models 'tiny-bert`, 'SWEEP_ARGS')).toThrow(/^SWEEP_ARGS has an unclosed ': --models 'tiny-bert$/);
  });
});
