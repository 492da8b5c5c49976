// `export-sweep report`: a run folder's matrix and findings, from its results alone.
import { renderTable } from '../report/table.js';
import { RunFolder } from '../results/run-folder.js';
import { writeRunReport } from '../report/write-report.js';
import { parseCommand, UsageError } from './args.js';
import { isFailure } from '../sweep/job-result.js';
import { summary } from './run-command.js';

export const REPORT_USAGE = `usage: export-sweep report RUN

Writes the run's dashboard (RUN/index.html: matrix, filters, pass rates, export times, history,
drift) and a page and JSON per model (RUN/reports/), then prints the matrix, its failures, the
fuzzing's smallest failing shapes with their replay commands, and stale skip-list entries. Reads
one result per job (the last line of a job id); a damaged results.jsonl line is refused by file and
line (fix: \`export-sweep repair RUN\`).`;

export async function reportCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(args, REPORT_USAGE, {} as const);
  if (!parsed) return 0;
  const [runDir] = parsed.positionals;
  if (!runDir) throw new UsageError(`report needs a run folder\n\n${REPORT_USAGE}`);
  const folder = new RunFolder(runDir);
  const manifest = folder.readManifest();
  const { results, notes } = folder.readResults();
  for (const note of notes) console.warn(`export-sweep: ${note}`);
  console.log(`${runDir}: ${results.length} of ${manifest.jobs.length} jobs, pins ${manifest.pins.name}, commit ${manifest.git.commit?.slice(0, 10) ?? '?'}\n`);
  console.log([renderTable(results), ...summary(results, runDir)].join('\n'));
  console.log(`\ndashboard: ${writeRunReport(runDir).index}`);
  return results.some(isFailure) ? 1 : 0;
}
