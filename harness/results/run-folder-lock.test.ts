// The writer lock against real processes: a second writer is refused while the first lives, a
// holder killed with SIGKILL leaves a lock the next writer takes over, a clean exit removes it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../python/paths.js';
import { LOCK, RunFolderLock, RunFolderLockedError, type LockHolder } from './run-folder-lock.js';

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

  it("refuses a lock held on another host, which this one cannot check, and says how to clear it", async () => {
    const dir = await tempRun();
    const remote: LockHolder = { pid: 1, hostname: `not-${hostname()}`, startedAt: '2026-01-01T00:00:00.000Z', command: 'run --out', token: 'x' };
    writeFileSync(join(dir, LOCK), JSON.stringify(remote));
    expect(() => RunFolderLock.acquire(dir, 'merge')).toThrow(`if pid 1 there has ended, delete ${join(dir, LOCK)}`);
  });
});
