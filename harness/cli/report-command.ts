// `export-sweep report`: a run folder's matrix and findings, from its results alone.
import { renderTable } from '../report/table.js';
import { RunFolder } from '../results/run-folder.js';
import { writeRunReport } from '../report/write-report.js';
import { parseCommand, UsageError } from './args.js';
import { isFailure } from '../sweep/job-result.js';
import { summary, writeOtherReports } from './run-command.js';

export const REPORT_USAGE = `usage: export-sweep report RUN [--junit FILE] [--allure DIR]

Writes the run's dashboard (RUN/index.html: matrix, filters, counts per status, pass rates over jobs
run and over jobs that reached the exporter, export times, history, drift), RUN/summary.json (the
counts and pass rates as data) and a page and JSON per model (RUN/reports/: each failed job's stage
ladder, traceback, cause chain, native stderr and repro link), then prints the matrix (coloured by
status on a terminal), its failures, partial jobs' unfed inputs, the fuzzing's smallest failing
shapes with their replay commands, and skip-list entries that no longer hold (stale, xpass, or an
xfail entry's job failing with another error). Reads one result per job (the last line of a job
id); a damaged results.jsonl line is refused by file and line (fix: \`export-sweep repair RUN\`).
--junit FILE also writes the results as JUnit XML (docs/reports.md, "JUnit XML"), --allure DIR as allure-results
(one result file per job; earlier allure files in DIR are removed), as \`run\` does with the same flags.`;

export async function reportCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(args, REPORT_USAGE, { junit: { type: 'string' }, allure: { type: 'string' } } as const);
  if (!parsed) return 0;
  const [runDir] = parsed.positionals;
  if (!runDir) throw new UsageError(`report needs a run folder`);
  const folder = new RunFolder(runDir);
  const manifest = folder.readManifest();
  const { results, notes } = folder.readResults();
  for (const note of notes) console.warn(`export-sweep: ${note}`);
  console.log(`${runDir}: ${results.length} of ${manifest.jobs.length} jobs, pins ${manifest.pins.name}, commit ${manifest.git.commit?.slice(0, 10) ?? '?'}\n`);
  console.log([renderTable(results, { colour: process.stdout.isTTY && !process.env.NO_COLOR, runDir }), ...summary(results, runDir)].join('\n'));
  const written = writeRunReport(runDir);
  console.log(`\ndashboard: ${written.index}\nsummary: ${written.summary}`);
  await writeOtherReports(parsed.values, results, runDir);
  return results.some(isFailure) ? 1 : 0;
}
