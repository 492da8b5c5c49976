// `export-sweep repair RUN`: what the strict readers refuse, moved aside so the run can be reported
// and resumed again. Nothing is deleted: every line taken out of results.jsonl goes to
// results.rejected.jsonl with its line number and why, for a person to look at.
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseResults, REJECTED, type BadLine } from './result-store.js';
import { RESULTS, RunFolder } from './run-folder.js';

export interface RepairReport {
  kept: number;
  /** Damaged lines, a torn last line included. */
  bad: BadLine[];
  /** Older result lines of a job id that has a later one. */
  superseded: BadLine[];
  rejectedPath: string;
}

export function repairResults(dir: string): RepairReport {
  const folder = new RunFolder(dir);
  folder.readManifest(); // names the folder when it is not a run
  const lock = folder.lock('repair');
  try {
    const path = join(dir, RESULTS);
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    const read = parseResults(text);
    const bad = [...read.bad, ...(read.torn ? [read.torn] : [])];
    const lines = text.split('\n');
    const superseded = read.duplicates.flatMap((d) => d.lines.slice(0, -1).map((line) => ({ line, text: lines[line - 1], reason: `superseded by line ${d.lines.at(-1)} for ${d.id}` })));
    const rejected = new Set([...bad, ...superseded].map((b) => b.line));
    const rejectedPath = join(dir, REJECTED);
    if (rejected.size) {
      const records = [...bad, ...superseded].sort((a, b) => a.line - b.line)
        .map((b) => JSON.stringify({ file: RESULTS, line: b.line, reason: b.reason, text: b.text, movedAt: new Date().toISOString() }));
      appendFileSync(rejectedPath, `${records.join('\n')}\n`);
      const kept = lines.filter((line, i) => line.trim() && !rejected.has(i + 1));
      // a rename, so a crash mid-repair leaves the old file or the new one, never half of each
      const temporary = `${path}.repair-${process.pid}`;
      writeFileSync(temporary, kept.map((line) => `${line}\n`).join(''));
      renameSync(temporary, path);
    }
    return { kept: read.results.length, bad, superseded, rejectedPath };
  } finally {
    lock.release();
  }
}
