// Results are appended one JSON line per finished job, flushed as each job ends, so a sweep killed
// half-way keeps every result it produced. Reading is strict: the only line that may be bad is a
// torn last one (the process died mid-write); any other bad line means the file was damaged, and
// guessing past it would report, diff or resume the wrong jobs, so readers refuse it by file:line.
import { appendFileSync, existsSync, mkdirSync, readFileSync, truncateSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JobResult } from '../sweep/job-result.js';

export const REJECTED = 'results.rejected.jsonl';

export interface BadLine { line: number; text: string; reason: string }

export interface ResultsRead {
  /** One result per job id: the last line for it wins, at the place of its first line. */
  results: JobResult[];
  /** Job ids with more than one line (two writers, or a merge of overlapping runs), with their line numbers. */
  duplicates: { id: string; lines: number[] }[];
  /** A torn last line: its job has no result and runs again on resume. */
  torn?: BadLine;
  /** Unparsable lines (or lines that are not a result) before the last one. */
  bad: BadLine[];
}

export class CorruptResultsError extends Error {
  constructor(readonly path: string, readonly bad: BadLine[]) {
    const shown = bad.slice(0, 5).map((b) => `  ${path}:${b.line}: ${b.reason}: ${JSON.stringify(b.text.slice(0, 80))}`);
    const more = bad.length > shown.length ? [`  ... and ${bad.length - shown.length} more`] : [];
    const run = dirname(path);
    super([
      `${path} has ${bad.length} damaged line(s) that are not job results:`, ...shown, ...more,
      `Move them aside with \`export-sweep repair ${run}\` (they go to ${run}/${REJECTED}), then run their jobs again with \`export-sweep run --resume ${run}\`.`,
    ].join('\n'));
  }
}

function parseResult(text: string): JobResult | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  const r = value as Partial<JobResult> | null;
  if (!r || typeof r !== 'object' || typeof r.id !== 'string' || typeof r.status !== 'string') return 'valid JSON but not a job result (no string id and status)';
  return r as JobResult;
}

/** Every line of ``text`` classified; ``results`` deduplicated by job id (the last line wins). */
export function parseResults(text: string): ResultsRead {
  const lines = text.split('\n');
  const endsClean = text === '' || text.endsWith('\n');
  const byId = new Map<string, { result: JobResult; lines: number[] }>();
  const bad: BadLine[] = [];
  let torn: BadLine | undefined;
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const parsed = parseResult(line);
    if (typeof parsed === 'string') {
      const last = i === lines.length - 1 && !endsClean;
      if (last) torn = { line: i + 1, text: line, reason: `torn last line (${parsed})` };
      else bad.push({ line: i + 1, text: line, reason: parsed });
      return;
    }
    const seen = byId.get(parsed.id);
    if (seen) {
      seen.result = parsed;
      seen.lines.push(i + 1);
    } else byId.set(parsed.id, { result: parsed, lines: [i + 1] });
  });
  return {
    results: [...byId.values()].map((entry) => entry.result),
    duplicates: [...byId.entries()].filter(([, e]) => e.lines.length > 1).map(([id, e]) => ({ id, lines: e.lines })),
    torn,
    bad,
  };
}

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
   * next result too, so cut it off (its job has no result and is run again on resume). A last line
   * that is a whole result short of its newline is kept (readers count it as done). */
  private dropTornLine(): void {
    this.repaired = true;
    if (!existsSync(this.path)) return;
    const text = readFileSync(this.path, 'utf8');
    if (text === '' || text.endsWith('\n')) return;
    const start = text.lastIndexOf('\n') + 1;
    if (typeof parseResult(text.slice(start)) !== 'string') appendFileSync(this.path, '\n');
    else truncateSync(this.path, Buffer.byteLength(text.slice(0, start)));
  }

  /** Every line classified; nothing thrown for damage (repair and the strict readers decide). */
  readAll(): ResultsRead {
    return parseResults(existsSync(this.path) ? readFileSync(this.path, 'utf8') : '');
  }

  /** One result per job id (the last); a torn last line is ignored; any other bad line throws
   * CorruptResultsError naming the file and line. */
  read(): JobResult[] {
    const read = this.readAll();
    if (read.bad.length) throw new CorruptResultsError(this.path, read.bad);
    return read.results;
  }
}
