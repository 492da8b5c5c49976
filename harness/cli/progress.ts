// Live progress of a sweep: on a terminal one line rewritten in place (done / total, counts, ETA);
// elsewhere (CI logs, pipes) one plain line per finished job.
import { resultLine } from '../report/table.js';
import { isFailure, type JobResult } from '../sweep/job-result.js';

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export class Progress {
  private readonly start = performance.now();
  private pass = 0;
  private fail = 0;
  private skip = 0;
  private xfail = 0;
  constructor(private readonly stream: NodeJS.WriteStream = process.stdout) {}

  get live(): boolean {
    return Boolean(this.stream.isTTY);
  }

  update(result: JobResult, done: number, total: number): void {
    if (result.status === 'pass') this.pass += 1;
    else if (result.status === 'skipped') this.skip += 1;
    else if (result.status === 'xfail') this.xfail += 1;
    else this.fail += 1;
    const elapsed = performance.now() - this.start;
    const eta = done ? (elapsed / done) * (total - done) : 0;
    if (!this.live) {
      this.stream.write(`[${done}/${total}] ${result.id}: ${resultLine(result)}\n`);
      return;
    }
    // failures also get a line of their own above the live line, so they are not lost on rewrite
    if (isFailure(result)) this.stream.write(`\r\x1b[K${result.id}: ${resultLine(result)}\n`);
    const line = `[${done}/${total}] pass ${this.pass}  fail ${this.fail}  xfail ${this.xfail}  skipped ${this.skip}  elapsed ${clock(elapsed)}  ETA ${clock(eta)}`;
    this.stream.write(`\r\x1b[K${line}${done === total ? '\n' : ''}`);
  }
}
