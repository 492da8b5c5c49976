// `export-sweep bisect BASE_RUN NEW_RUN`: which moved package broke each regression between two runs
// made under different pin sets (harness/drift/bisect.ts), as a table, NEW_RUN/bisect.md and
// NEW_RUN/bisect.json, which NEW_RUN's dashboard shows.
import { bisect } from '../drift/bisect.js';
import { bisectTable, writeBisectFiles } from '../drift/bisect-report.js';
import { BisectInputError } from '../drift/run-pins.js';
import { writeRunReport } from '../report/write-report.js';
import { parseCommand, positiveInt, UsageError } from './args.js';

export const BISECT_USAGE = `usage: export-sweep bisect BASE_RUN NEW_RUN [--jobs-matching PATTERN] [--max-sets N] [--jobs N]

For every regression \`diff\` finds between BASE_RUN and NEW_RUN, made under different pin sets,
names the moved package (or the smallest set of packages) that breaks it. The regressed jobs run
again under the new pins (a job that passes there now is flaky: no package is blamed) and under the
base pins (one that fails there too broke for another reason: the harness or exporters changed),
then under pin sets that move the direct requirements one at a time from the base version to the
new one (one that does not resolve alone moves with the packages uv's reason names: torch with
torchvision), then two such units together, and so on, smallest first: each resolved with uv as
pins/ are (a set that does not resolve is reported with uv's reason), built as its own cached
Python environment, and run into NEW_RUN/bisect/<set>/.
A set's results are kept there and a passing job's in the result cache, so no job runs twice under
the same pins. Prints a table, writes NEW_RUN/bisect.md and NEW_RUN/bisect.json (shown by NEW_RUN's
dashboard). Cost and clean-up: docs/drift.md.

  --jobs-matching P  only the regressions whose job id matches the glob P (e.g. 'tiny-gemma3/onnx/*')
  --max-sets N       try at most N intermediate pin sets (default 16; each is an environment and a run)
  --jobs N           parallel workers per run (default 2)

Exit code 1 when a regression reproduced under the new pins and not under the base pins (a bump
broke it, whether or not one package could be named); 0 when there was none, or each was flaky or
broke without the pins.`;

export async function bisectCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(args, BISECT_USAGE, { 'jobs-matching': { type: 'string' }, 'max-sets': { type: 'string' }, jobs: { type: 'string' } } as const);
  if (!parsed) return 0;
  const [baseRun, newRun, ...extra] = parsed.positionals;
  if (!baseRun || !newRun || extra.length) throw new UsageError('bisect needs two run folders: BASE_RUN NEW_RUN');
  try {
    const report = await bisect({
      baseRun, newRun, jobsMatching: parsed.values['jobs-matching'],
      maxSets: positiveInt(parsed.values['max-sets'], '--max-sets'), workers: positiveInt(parsed.values.jobs, '--jobs'),
      log: (line) => console.log(line),
    });
    const markdown = writeBisectFiles(newRun, report);
    console.log(`\n${bisectTable(report)}\n\nmarkdown: ${markdown}\ndashboard (with the bisect section): ${writeRunReport(newRun).index}`);
    return report.jobs.some((j) => j.verdict !== 'flaky' && j.verdict !== 'not-pins') ? 1 : 0;
  } catch (error) {
    if (error instanceof BisectInputError) throw new UsageError(error.message);
    throw error;
  }
}
