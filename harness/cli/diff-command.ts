// `export-sweep diff RUN_A RUN_B`: job-by-job drift between two runs (two pin sets, two exporter
// implementations, or yesterday and today), as a terminal table, Markdown and the dashboard's section.
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { diffMarkdown, diffRuns, diffTable } from '../drift/diff-runs.js';
import { RunFolder } from '../results/run-folder.js';
import { writeRunReport } from '../report/write-report.js';
import { parseCommand, UsageError } from './args.js';

export const DIFF_USAGE = `usage: export-sweep diff RUN_A RUN_B [--md FILE] [--factor F]

Compares run folder RUN_B with the baseline RUN_A job by job: regressions (pass -> fail at or after
the exporter), jobs that broke (pass -> broken: they no longer reach the exporter, so the harness or
the checkpoint changed; listed apart, not regressions), fixes (fail -> pass), failures whose error
class changed, passing jobs whose max abs error moved by more than --factor (default 10x), jobs
that passed and now fail as an xfail entry expects (newly-expected; an xfail counts as the failure it
is, so xfail -> pass is a fix and an xpass is a pass), newly skipped jobs, new and removed jobs and
classes. Prints a table, writes Markdown for a pull-request comment (default RUN_B/diff.md) and
RUN_B/diff.json, which RUN_B's dashboard shows. Exit code 1 when there is any regression (a job
that broke alone does not fail the diff; the run itself exits 1).`;

export async function diffCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(args, DIFF_USAGE, { md: { type: 'string' }, factor: { type: 'string' } } as const);
  if (!parsed) return 0;
  const [a, b] = parsed.positionals;
  if (!a || !b) throw new UsageError(`diff needs two run folders`);
  const factor = parsed.values.factor === undefined ? undefined : Number(parsed.values.factor);
  if (factor !== undefined && !(factor > 1)) throw new UsageError(`--factor must be a number > 1, got '${parsed.values.factor}'`);
  const [runA, runB] = [new RunFolder(a), new RunFolder(b)];
  runA.readManifest();
  runB.readManifest();
  const [readA, readB] = [runA.readResults(), runB.readResults()];
  for (const note of [...readA.notes, ...readB.notes]) console.warn(`export-sweep: ${note}`);
  const diff = diffRuns({ name: basename(a), results: readA.results }, { name: basename(b), results: readB.results }, { toleranceFactor: factor });
  const md = parsed.values.md ?? join(b, 'diff.md');
  writeFileSync(md, diffMarkdown(diff));
  writeFileSync(join(b, 'diff.json'), `${JSON.stringify(diff, null, 1)}\n`);
  console.log(`${diffTable(diff)}\n\nmarkdown: ${md}\ndashboard (with the drift section): ${writeRunReport(b).index}`);
  return diff.counts.regression ? 1 : 0;
}
