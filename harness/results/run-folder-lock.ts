// One writer per run folder. Two `run --resume RUN` at once both ran the same missing jobs: their
// results were appended twice and each overwrote the other's jobs/<job>/ files mid-job. So every
// writer (run --out, run --resume, merge --out, replay, repair) first creates RUN/writer.lock with
// O_EXCL, which the kernel grants to exactly one process; readers (report, diff) take no lock.
// A lock whose process has died on this host (kill -9, a crashed machine's reboot) is taken over, so
// no folder stays locked forever; one held on another host is refused (we cannot see its process).
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK = 'writer.lock';

export interface LockHolder {
  pid: number;
  hostname: string;
  startedAt: string;
  /** What the holder is doing, e.g. `run --resume`, for the refusal message. */
  command: string;
  /** The kernel's start time of the holder process (/proc/PID/stat field 22), so a pid that was
   * reused by an unrelated process after the holder died is not taken for the holder. */
  processStart?: string;
  token: string;
}

export class RunFolderLockedError extends Error {
  constructor(readonly dir: string, readonly holder: LockHolder, readonly lockPath: string) {
    const where = holder.hostname === hostname() ? '' : ` on host ${holder.hostname}`;
    const what = holder.hostname === hostname()
      ? `Wait for it to finish, or stop it (kill ${holder.pid}) and resume with \`export-sweep run --resume ${dir}\`; a lock whose process has died is taken over by the next writer.`
      : `This machine cannot see that host's processes: if pid ${holder.pid} there has ended, delete ${lockPath} and try again.`;
    super(`${dir} is being written by another export-sweep (pid ${holder.pid}${where}, \`${holder.command}\`, started ${holder.startedAt}); a second writer would run the same jobs twice. ${what}`);
  }
}

/** A field of /proc/PID/stat counted from the state (field 3), or undefined where there is no /proc
 * (then only the pid is checked). The command name before it may hold spaces, hence the last ')'. */
function statField(pid: number, fromState: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[fromState];
  } catch {
    return undefined;
  }
}

/** Field 22: the process's start time in clock ticks since boot (tells a reused pid apart). */
const processStart = (pid: number) => statField(pid, 19);
/** Field 3: R, S, Z (zombie) ... */
const processState = (pid: number) => statField(pid, 0);

/** Whether the holder may still be running: true unless this host can tell that it has ended. */
export function holderAlive(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (processState(holder.pid) === 'Z') return false; // killed, not yet reaped by its parent
  const start = processStart(holder.pid);
  return !(holder.processStart && start && start !== holder.processStart);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The holder written in ``path``; undefined when the file is gone; 'unreadable' when it stays
 * empty or torn (a holder between its create and its write, or one that died right there). */
function readHolder(path: string): LockHolder | undefined | 'unreadable' {
  for (let attempt = 0; attempt < 5; attempt++) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const holder = JSON.parse(text) as LockHolder;
      if (typeof holder.pid === 'number' && typeof holder.token === 'string') return holder;
    } catch {
      // not written yet: read again in a moment
    }
    sleepSync(50);
  }
  return 'unreadable';
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

const held = new Set<RunFolderLock>();
let exitHook = false;

export class RunFolderLock {
  private released = false;
  private constructor(readonly dir: string, readonly path: string, readonly holder: LockHolder) {}

  /** Take the folder's lock for ``command`` (created if missing), or throw RunFolderLockedError. */
  static acquire(dir: string, command: string): RunFolderLock {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, LOCK);
    const mine: LockHolder = {
      pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), command,
      processStart: processStart(process.pid), token: randomUUID(),
    };
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        writeFileSync(path, `${JSON.stringify(mine)}\n`, { flag: 'wx' });
        const lock = new RunFolderLock(dir, path, mine);
        held.add(lock);
        if (!exitHook) {
          exitHook = true;
          // also on process.exit() from a signal handler: a clean end never leaves a lock behind
          process.on('exit', () => { for (const lock of held) lock.release(); });
        }
        return lock;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readHolder(path);
      if (holder === undefined) continue; // released meanwhile: try again
      if (holder === 'unreadable') {
        if (ageMs(path) < 10_000) sleepSync(200);
        else takeOver(path, undefined);
        continue;
      }
      if (holderAlive(holder)) throw new RunFolderLockedError(dir, holder, path);
      takeOver(path, holder.token);
    }
    throw new Error(`could not lock ${dir}: ${path} kept changing hands; is something else creating and deleting it?`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this);
    const current = readHolder(this.path);
    // never delete a lock that is no longer ours (taken over after we were judged dead)
    if (current !== undefined && current !== 'unreadable' && current.token === this.holder.token) {
      try { unlinkSync(this.path); } catch { /* already gone */ }
    }
  }
}

/** Remove a dead holder's lock. Two processes may judge the same lock dead at once: a second file,
 * created with O_EXCL too, lets one of them remove it, and only if it is still the dead holder's
 * (the other may already have replaced it with its own live lock). */
export function takeOver(path: string, deadToken: string | undefined): void {
  const guard = `${path}.takeover`;
  try {
    writeFileSync(guard, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // someone else is taking over; a guard left by a process that died right there goes stale
    if (ageMs(guard) > 10_000) try { unlinkSync(guard); } catch { /* gone */ }
    sleepSync(100);
    return;
  }
  try {
    const current = readHolder(path);
    const stillDead = current === 'unreadable' ? deadToken === undefined : current !== undefined && current.token === deadToken;
    if (stillDead) unlinkSync(path);
  } finally {
    unlinkSync(guard);
  }
}
