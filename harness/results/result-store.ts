// Results are appended one JSON line per finished job, flushed as each job ends, so a sweep killed
// half-way keeps every result it produced.
import { appendFileSync, existsSync, mkdirSync, readFileSync, truncateSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JobResult } from '../sweep/job-result.js';

export class ResultStore {
  private repaired = false;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  append(result: JobResult): void {
    if (!this.repaired) this.dropTornLine();
    appendFileSync(this.path, `${JSON.stringify(result)}\n`);
  }

  /** A process killed mid-write leaves a partial last line; appending after it would corrupt the
   * next result too, so cut it off (its job has no result and is run again on resume). */
  private dropTornLine(): void {
    this.repaired = true;
    if (!existsSync(this.path)) return;
    const text = readFileSync(this.path, 'utf8');
    if (text === '' || text.endsWith('\n')) return;
    truncateSync(this.path, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
  }

  /** Every complete line; a torn last line (the process died mid-write) is ignored. */
  read(): JobResult[] {
    if (!existsSync(this.path)) return [];
    const results: JobResult[] = [];
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        results.push(JSON.parse(line) as JobResult);
      } catch {
        // only the last line can be torn, and it is the one job to re-run
      }
    }
    return results;
  }
}
