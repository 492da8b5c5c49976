// `export-sweep merge`: the shard folders of one sweep combined into one run folder.
import { renderTable } from '../report/table.js';
import { mergeRuns } from '../results/merge-runs.js';
import { RunFolder } from '../results/run-folder.js';
import { parseCommand, UsageError } from './args.js';

export const MERGE_USAGE = `usage: export-sweep merge --out DIR SHARD_DIR [SHARD_DIR ...]

Combines the run folders of \`export-sweep run --shard i/n\` (same selection, same pin set) into one
run folder, as if the sweep had run in one piece. Says which jobs no shard ran.`;

export async function mergeCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(args, MERGE_USAGE, { out: { type: 'string' } } as const);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (!values.out || !positionals.length) throw new UsageError(`merge needs --out DIR and at least one shard folder`);
  const report = mergeRuns(values.out, positionals);
  for (const note of report.notes) console.warn(`export-sweep: ${note}`);
  console.log(renderTable(new RunFolder(values.out).results()));
  console.log(`\nmerged ${positionals.length} shards: ${report.results} results of ${report.jobs} jobs -> ${values.out}`);
  if (report.missing.length) console.log(`jobs without a result (run them with --resume ${values.out}): ${report.missing.join(', ')}`);
  return report.missing.length ? 1 : 0;
}
