// The writer lock against real processes: a second writer is refused while the first lives, a
// holder killed with SIGKILL leaves a lock the next writer takes over, a clean exit removes it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../python/paths.js';
import { LOCK, RunFolderLock, RunFolderLockedError, takeOver, type LockHolder } from './run-folder-lock.js';

const tempRun = async () => mkdtemp(join(tmpdir(), 'lock-'));

/** Another process that takes the lock of ``dir`` and then sleeps (or exits when ``exit``). */
function holder(dir: string, exit = false) {
  const script = `import { RunFolderLock } from ${JSON.stringify(join(REPO_ROOT, 'harness/results/run-folder-lock.ts'))};
RunFolderLock.acquire(${JSON.stringify(dir)}, 'test holder');
console.log('locked');
${exit ? 'process.exit(0);' : 'setInterval(() => {}, 1000);'}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('locked')) resolve(); });
    child.on('exit', (code) => reject(new Error(`holder exited with ${code} before locking`)));
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, locked, exited };
}

describe('RunFolderLock', () => {
  it('refuses a second writer in this process, naming the folder, the holder and what to do; free again after release', async () => {
    const dir = await tempRun();
    const first = RunFolderLock.acquire(dir, 'run --out');
    expect(() => RunFolderLock.acquire(dir, 'run --resume')).toThrow(RunFolderLockedError);
    expect(() => RunFolderLock.acquire(dir, 'run --resume')).toThrow(new RegExp(`^${dir} is being written by another export-sweep \\(pid ${process.pid}, \`run --out\`, started ${first.holder.startedAt}\\).*kill ${process.pid}`));
    first.release();
    expect(existsSync(join(dir, LOCK))).toBe(false);
    RunFolderLock.acquire(dir, 'run --resume').release();
  });

  it('refuses while another live process holds it, and takes it over once that process is killed with SIGKILL', async () => {
    const dir = await tempRun();
    const other = holder(dir);
    await other.locked;
    const held = JSON.parse(readFileSync(join(dir, LOCK), 'utf8')) as LockHolder;
    expect(held.pid).toBe(other.child.pid);
    expect(() => RunFolderLock.acquire(dir, 'run --resume')).toThrow(`pid ${other.child.pid}, \`test holder\``);
    other.child.kill('SIGKILL');
    await other.exited;
    expect(existsSync(join(dir, LOCK))).toBe(true); // a crash cannot clean up
    const mine = RunFolderLock.acquire(dir, 'run --resume');
    expect(JSON.parse(readFileSync(join(dir, LOCK), 'utf8'))).toMatchObject({ pid: process.pid, token: mine.holder.token });
    mine.release();
  });

  it('is removed when its process exits', async () => {
    const dir = await tempRun();
    const other = holder(dir, true);
    await other.exited;
    expect(existsSync(join(dir, LOCK))).toBe(false);
  });

  it('takes over a lock whose pid now belongs to another process (pid reuse)', async () => {
    const dir = await tempRun();
    // our own pid, but with another start time: the holder that wrote it is gone
    const stale: LockHolder = { pid: process.pid, hostname: hostname(), startedAt: '2020-01-01T00:00:00.000Z', command: 'run --out', processStart: '1', token: 'old' };
    writeFileSync(join(dir, LOCK), JSON.stringify(stale));
    RunFolderLock.acquire(dir, 'run --resume').release();
  });

  it('a racer that judged the old lock dead does not remove the live lock another racer has put there since', async () => {
    const dir = await tempRun();
    const live = RunFolderLock.acquire(dir, 'run --resume'); // the winner, after the dead holder's lock
    takeOver(join(dir, LOCK), 'token-of-the-dead-holder'); // the loser, acting on what it read before
    expect(JSON.parse(readFileSync(join(dir, LOCK), 'utf8'))).toMatchObject({ token: live.holder.token });
    expect(() => RunFolderLock.acquire(dir, 'run --resume')).toThrow(RunFolderLockedError);
    live.release();
  });

  it('lets exactly one of several processes started together take a dead holder\'s lock (the interleaving itself: the test above)', async () => {
    const dir = await tempRun();
    const dead: LockHolder = { pid: 2 ** 22 + 1, hostname: hostname(), startedAt: '2020-01-01T00:00:00.000Z', command: 'run --out', token: 'dead' };
    writeFileSync(join(dir, LOCK), JSON.stringify(dead)); // above pid_max's default: no such process
    const script = `import { RunFolderLock } from ${JSON.stringify(join(REPO_ROOT, 'harness/results/run-folder-lock.ts'))};
const go = Number(process.argv[1]);
while (Date.now() < go) {} // start together, after every process has paid its start-up
try { RunFolderLock.acquire(${JSON.stringify(dir)}, 'racer'); console.log('locked'); setInterval(() => {}, 1000); }
catch (error) { console.log(error.message.includes('being written by another') ? 'refused' : 'error ' + error.message); process.exit(0); }`;
    const go = Date.now() + 8_000;
    const racers = Array.from({ length: 6 }, () => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, String(go)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      const said = new Promise<string>((resolve) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('\n')) resolve(out.trim()); });
        child.on('exit', () => resolve(out.trim() || 'exited silently'));
      });
      return { child, said };
    });
    const answers = await Promise.all(racers.map((r) => r.said));
    for (const r of racers) r.child.kill('SIGKILL');
    expect(answers.filter((a) => a === 'locked'), answers.join(', ')).toHaveLength(1);
    expect(answers.filter((a) => a === 'refused'), answers.join(', ')).toHaveLength(5);
  }, 120_000);

  it("refuses a lock held on another host, which this one cannot check, and says how to clear it", async () => {
    const dir = await tempRun();
    const remote: LockHolder = { pid: 1, hostname: `not-${hostname()}`, startedAt: '2026-01-01T00:00:00.000Z', command: 'run --out', token: 'x' };
    writeFileSync(join(dir, LOCK), JSON.stringify(remote));
    expect(() => RunFolderLock.acquire(dir, 'merge')).toThrow(`if pid 1 there has ended, delete ${join(dir, LOCK)}`);
  });
});
