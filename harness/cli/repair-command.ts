// `export-sweep repair RUN`: the damaged and superseded lines of RUN/results.jsonl moved to
// RUN/results.rejected.jsonl, so report, diff, merge and --resume accept the run again.
import { repairResults } from '../results/repair-results.js';
import { parseCommand, UsageError } from './args.js';

export const REPAIR_USAGE = `usage: export-sweep repair RUN

report, diff, merge and run --resume refuse a run folder whose results.jsonl has a damaged line
(anything but a torn last line, which a killed run leaves and the next append cuts off), naming the
file and line. repair moves every damaged line, and every older result line of a job that has a
later one, to RUN/results.rejected.jsonl (with its line number and why; nothing is deleted) and
keeps the rest. The jobs of damaged lines then have no result: \`export-sweep run --resume RUN\`
runs them again. Takes the folder's writer lock, like run and merge.`;

export async function repairCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(args, REPAIR_USAGE, {} as const);
  if (!parsed) return 0;
  const [runDir] = parsed.positionals;
  if (!runDir) throw new UsageError(`repair needs a run folder`);
  const report = repairResults(runDir);
  const moved = report.bad.length + report.superseded.length;
  if (!moved) {
    console.log(`${runDir}: nothing to repair (${report.kept} results)`);
    return 0;
  }
  for (const b of [...report.bad, ...report.superseded]) console.log(`  results.jsonl:${b.line}: ${b.reason}`);
  console.log(`${runDir}: moved ${report.bad.length} damaged and ${report.superseded.length} superseded line(s) to ${report.rejectedPath}; ${report.kept} results kept.`);
  if (report.bad.length) console.log(`Run the jobs without a result again with \`export-sweep run --resume ${runDir}\`.`);
  return 0;
}
