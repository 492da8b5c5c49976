// `export-sweep report`: a run folder's matrix and findings, from its results alone.
import { renderTable } from '../report/table.js';
import { RunFolder } from '../results/run-folder.js';
import { parseCommand, UsageError } from './args.js';
import { failed, summary } from './run-command.js';

export const REPORT_USAGE = `usage: export-sweep report RUN

Prints the matrix of a run folder (models x backend/mode, status and max abs error), its failures,
the fuzzing's smallest failing shapes with their replay commands, and stale skip-list entries.`;

export async function reportCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(args, REPORT_USAGE, {} as const);
  if (!parsed) return 0;
  const [runDir] = parsed.positionals;
  if (!runDir) throw new UsageError(`report needs a run folder\n\n${REPORT_USAGE}`);
  const folder = new RunFolder(runDir);
  const manifest = folder.readManifest();
  const results = folder.results();
  console.log(`${runDir}: ${results.length} of ${manifest.jobs.length} jobs, pins ${manifest.pins.name}, commit ${manifest.git.commit?.slice(0, 10) ?? '?'}\n`);
  console.log([renderTable(results), ...summary(results, runDir)].join('\n'));
  return results.some(failed) ? 1 : 0;
}
