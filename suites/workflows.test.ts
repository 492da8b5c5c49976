// The GitHub Actions workflows (.github/workflows, docs/nightly.md) run only on GitHub, where a typo
// shows the morning after. actionlint checks them here: expressions, contexts, action inputs, the
// job graph, and with shellcheck on PATH every `run:` script. And the commands they call must be
// ones the CLI accepts, with flags it knows.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/python/paths.js';

const WORKFLOWS = join(REPO_ROOT, '.github', 'workflows');
const workflowFiles = readdirSync(WORKFLOWS).filter((name) => /\.ya?ml$/.test(name)).map((name) => join(WORKFLOWS, name));

/** actionlint, built once by bin/bootstrap-actionlint (which says what to install when it cannot). */
function actionlint(): string {
  const built = spawnSync(join(REPO_ROOT, 'bin', 'bootstrap-actionlint'), { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`bin/bootstrap-actionlint failed (exit ${built.status}):\n${built.stderr}`);
  return built.stdout.trim();
}

function lint(args: string[], input?: string): { status: number | null; output: string } {
  const run = spawnSync(actionlint(), ['-no-color', '-oneline', ...args], { cwd: REPO_ROOT, encoding: 'utf8', input });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** The CLI's own help text, as a user would read it. */
function cliHelp(...args: string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'harness', 'cli', 'main.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
}

describe('the GitHub Actions workflows', () => {
  it('pass actionlint', () => {
    expect(workflowFiles.map((file) => file.slice(WORKFLOWS.length + 1)).sort()).toEqual(expect.arrayContaining(['nightly.yml', 'pins-pr.yml']));
    const { status, output } = lint(workflowFiles);
    expect(status, `actionlint found problems:\n${output}`).toBe(0);
  });

  it('would fail a broken workflow (so a pass above means something)', () => {
    const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n';
    const { status, output } = lint(['-'], broken);
    expect(status).toBe(1);
    expect(output).toMatch(/nope/);
    const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;
    if (shellcheck) {
      // unquoted $1 inside [ ]: shellcheck's SC2086, seen only when actionlint runs it over run: scripts
      const unquoted = lint(['-'], 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: cp $HOME/a $HOME/b\n');
      expect(unquoted.output).toMatch(/SC2086/);
    } else {
      console.warn('workflows.test: shellcheck is not on PATH, so actionlint checked no run: script (apt-get install shellcheck; bin/bootstrap --test does)');
    }
  });

  it('call only CLI commands and flags that exist', () => {
    // comment lines name commands too, without calling them
    const text = workflowFiles.flatMap((file) => readFileSync(file, 'utf8').split('\n')).filter((line) => !/^\s*#/.test(line)).join('\n');
    const commands = new Set([...cliHelp('--help').matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]));
    const called = [...text.matchAll(/bin\/export-sweep ([a-z]+)/g)].map((m) => m[1]);
    if (/npm run sweep\b/.test(text)) called.push('run');
    expect(called.length).toBeGreaterThan(0);
    expect(called.filter((command) => !commands.has(command)), 'export-sweep commands the CLI does not have').toEqual([]);

    const nightlyUsage = spawnSync(join(REPO_ROOT, 'bin', 'nightly'), { encoding: 'utf8' }).stderr;
    const steps = new Set([...nightlyUsage.matchAll(/bin\/nightly ([a-z]+)/g)].map((m) => m[1]));
    const nightlyCalls = [...text.matchAll(/bin\/nightly ([a-z]+)/g)].map((m) => m[1]);
    expect(new Set(nightlyCalls)).toEqual(new Set(['shard', 'merge']));
    expect(nightlyCalls.filter((step) => !steps.has(step)), 'bin/nightly steps that do not exist').toEqual([]);

    // SWEEP_OPTIONS is what both workflows pass to `run`: each flag must be one `run --help` lists
    const options = [...text.matchAll(/^\s*SWEEP_OPTIONS:\s*(.+)$/gm)].flatMap((m) => m[1].match(/--[a-z-]+/g) ?? []);
    expect(options.length).toBeGreaterThan(0);
    const runHelp = cliHelp('run', '--help');
    expect(options.filter((flag) => !new RegExp(`^\\s+${flag}\\b`, 'm').test(runHelp)), 'SWEEP_OPTIONS flags `run` does not take').toEqual([]);
  });
});
