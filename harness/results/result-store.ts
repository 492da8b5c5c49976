// Results are appended one JSON line per finished job, flushed as each job ends, so a sweep killed
// half-way keeps every result it produced.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JobResult } from '../sweep/job-result.js';

export class ResultStore {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  append(result: JobResult): void {
    appendFileSync(this.path, `${JSON.stringify(result)}\n`);
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
