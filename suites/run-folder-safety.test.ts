// Run folders under a user's accidents, through the real CLI (bin/export-sweep: tsx's launcher, the
// CLI's node process, its Python workers): a second writer on a running folder is refused at once and
// changes nothing; SIGTERM and SIGINT stop the workers and exit 143 and 130 keeping finished results
// and releasing the lock; --resume then finishes the run with one result per job.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/python/paths.js';
import { RESULTS, RunFolder } from '../harness/results/run-folder.js';
import { LOCK, type LockHolder } from '../harness/results/run-folder-lock.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'run-folder-safety-'));
});

function cli(args: string[]) {
  const child = spawn(join(REPO_ROOT, 'bin/export-sweep'), args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  let exited: number | undefined;
  const done = new Promise<number>((resolve) => child.on('exit', (code, signal) => {
    exited = code ?? 128 + (signal === 'SIGKILL' ? 9 : 1);
    resolve(exited);
  }));
  return { child, done, output: () => output, running: () => exited === undefined };
}

function stat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** The sweep_worker processes below ``pid`` (through tsx's launcher and bin/py's exec). */
function workerPids(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), Number(name)]);
  }
  const below: number[] = [];
  const walk = (p: number) => { for (const c of children.get(p) ?? []) { below.push(c); walk(c); } };
  walk(pid);
  return below.filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes('sweep_worker');
    } catch {
      return false;
    }
  });
}

/** Running: exists and is not a zombie (a killed child its parent has not reaped yet is not running). */
const isRunning = (pid: number) => { const s = stat(pid); return s !== undefined && s.state !== 'Z'; };

async function until<T>(what: string, probe: () => T | undefined, give: { up: () => boolean; output: () => string }, timeoutMs = 240_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (give.up()) throw new Error(`the run ended before ${what}:\n${give.output()}`);
    if (Date.now() - start > timeoutMs) throw new Error(`no ${what} after ${timeoutMs / 1000} s:\n${give.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const lines = (dir: string) => (existsSync(join(dir, RESULTS)) ? readFileSync(join(dir, RESULTS), 'utf8').split('\n').filter(Boolean) : []);
// four jobs, none reused from the cache, so the run lasts long enough for the other writers and the signal
const selection = ['--models', 'tiny-bert,tiny-gpt2', '--backends', 'dynamo', '--modes', 'static,dynamic', '--shapes', '2', '--seed', '5', '--jobs', '1', '--no-artifact-cache'];

describe('one writer per run folder, and signals', () => {
  it('refuses a second run --resume, run --out and merge while a run writes; SIGTERM stops its workers; --resume then finishes it', async () => {
    const dir = join(root, 'run');
    const first = cli(['run', ...selection, '--out', dir]);
    const gone = { up: () => !first.running(), output: first.output };
    await until('a first result', () => (lines(dir).length >= 1 ? true : undefined), gone);
    const holder = JSON.parse(readFileSync(join(dir, LOCK), 'utf8')) as LockHolder;
    const before = readFileSync(join(dir, RESULTS), 'utf8');

    const started = Date.now();
    const others = [
      cli(['run', '--resume', dir]),
      cli(['run', ...selection, '--out', dir]),
      cli(['merge', '--out', dir, dir]),
    ];
    const codes = await Promise.all(others.map((o) => o.done));
    const refusedInMs = Date.now() - started;
    expect(first.running(), `the first run finished before the others were refused; the check proves nothing:\n${first.output()}`).toBe(true);
    for (const [i, other] of others.entries()) {
      expect(codes[i], other.output()).toBe(2);
      expect(other.output()).toContain(`${dir} is being written by another export-sweep (pid ${holder.pid}, \`run --out\`, started ${holder.startedAt})`);
      expect(other.output()).toContain(`kill ${holder.pid}`);
    }
    console.log(`three second writers refused in ${refusedInMs} ms (CLI start-up included)`);
    // the refused writers appended nothing and took no job
    expect(readFileSync(join(dir, RESULTS), 'utf8').startsWith(before)).toBe(true);

    const workers = workerPids(first.child.pid!);
    expect(workers.length, first.output()).toBeGreaterThanOrEqual(1);
    const signalled = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.done, first.output()).toBe(143);
    console.log(`SIGTERM to exit: ${Date.now() - signalled} ms`);
    expect(first.output()).toMatch(/SIGTERM: stopped \d+ worker\(s\)/);
    // the CLI killed them before exiting; give the kernel a moment to deliver it
    await until('the workers to stop', () => (workers.some(isRunning) ? undefined : true), { up: () => false, output: () => `still running: ${workers.filter(isRunning)}` }, 10_000);
    expect(existsSync(join(dir, LOCK)), 'the lock outlived its process').toBe(false);
    const kept = new RunFolder(dir).results();
    expect(kept.length).toBeGreaterThanOrEqual(1);
    expect(kept.length).toBeLessThan(4);

    const resumed = cli(['run', '--resume', dir]);
    expect(await resumed.done, resumed.output()).toBe(0);
    expect(resumed.output()).toContain(`resuming ${dir}: ${4 - kept.length} of 4 jobs have no result yet`);
    const ids = lines(dir).map((l) => (JSON.parse(l) as { id: string }).id);
    expect(ids.length, 'a job ran twice').toBe(new Set(ids).size);
    expect(ids).toHaveLength(4);
  }, 900_000);

  it('SIGINT (Ctrl-C) also stops the workers and exits 130', async () => {
    const dir = join(root, 'interrupted');
    const run = cli(['run', ...selection, '--out', dir]);
    const workers = await until('a worker', () => { const w = workerPids(run.child.pid!); return w.length ? w : undefined; }, { up: () => !run.running(), output: run.output });
    run.child.kill('SIGINT');
    expect(await run.done, run.output()).toBe(130);
    await until('the workers to stop', () => (workers.some(isRunning) ? undefined : true), { up: () => false, output: () => `still running: ${workers.filter(isRunning)}` }, 10_000);
    expect(existsSync(join(dir, LOCK))).toBe(false);
  }, 300_000);
});
