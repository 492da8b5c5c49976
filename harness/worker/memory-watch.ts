// Resident memory of a worker process, read from /proc: a job that exhausts memory is stopped by the
// pool at a limit, so the kernel's OOM killer never picks the harness or another job's worker.
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

/** VmRSS of ``pid`` in MB, or undefined where /proc is not available or the process is gone. */
export function residentMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Default per-worker limit: 80% of the machine's memory shared by the pool's workers. */
export function defaultMemoryLimitMb(workers: number): number {
  return Math.floor((0.8 * totalmem()) / 2 ** 20 / Math.max(1, workers));
}

/** Polls ``pid`` until stopped; calls ``onExceed`` once when its RSS passes ``limitMb``. Tracks the peak. */
export class MemoryWatch {
  peakMb = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(pid: number | undefined, limitMb: number, onExceed: (rssMb: number) => void, intervalMs = 200) {
    let fired = false;
    this.timer = setInterval(() => {
      const rss = residentMb(pid);
      if (rss === undefined) return;
      this.peakMb = Math.max(this.peakMb, rss);
      if (rss > limitMb && !fired) {
        fired = true;
        onExceed(rss);
      }
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
