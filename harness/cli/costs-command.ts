// `export-sweep costs`: refresh the job-cost table that balances --shard from finished runs.
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { REPO_ROOT } from '../python/paths.js';
import { RunFolder } from '../results/run-folder.js';
import { COST_TABLE, loadCostTable, recordCosts } from '../sweep/shard-plan.js';
import { parseCommand, UsageError } from './args.js';

export const COSTS_USAGE = `usage: export-sweep costs RUN [RUN ...] [--table FILE]

Records the job times of the run folders (durationsMs.total by model class and backend/mode) in the
cost table that \`run --shard i/n\` balances shards by (default ${relative(REPO_ROOT, COST_TABLE)}),
replacing earlier times of the same jobs. Skipped jobs and reused results or artifacts are left out:
they did not pay their cost. Run it on an idle machine's runs, then commit the table.`;

export async function costsCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(args, COSTS_USAGE, { table: { type: 'string' } } as const);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (!positionals.length) throw new UsageError('costs needs at least one run folder');
  const path = values.table ?? COST_TABLE;
  const results = positionals.flatMap((dir) => new RunFolder(dir).results());
  const { table, recorded } = recordCosts(loadCostTable(path), results);
  writeFileSync(path, `${JSON.stringify(table, null, 1)}\n`);
  console.log(`recorded ${recorded} job times of ${positionals.length} runs (${Object.keys(table.classes).length} classes) -> ${path}`);
  return 0;
}
