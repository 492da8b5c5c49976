// export-sweep command line: one module per command, each with its own --help.
import { bisectCommand } from './bisect-command.js';
import { cacheCommand } from './cache-command.js';
import { catalogStatusCommand } from './catalog-status-command.js';
import { costsCommand } from './costs-command.js';
import { coverageCommand } from './coverage-command.js';
import { diffCommand } from './diff-command.js';
import { listCommand } from './list-command.js';
import { mergeCommand } from './merge-command.js';
import { replayCommand } from './replay-command.js';
import { constants } from 'node:os';
import { stopAllWorkers } from '../worker/python-worker.js';
import { repairCommand } from './repair-command.js';
import { reportCommand } from './report-command.js';
import { runCommand } from './run-command.js';
import { SelectionError } from '../sweep/selection-error.js';
import { UsageError } from './args.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { versionLine } from './version.js';

const COMMANDS: Record<string, { run: (args: string[]) => Promise<number>; about: string }> = {
  run: { run: runCommand, about: 'export the selection with every backend, compare with eager, fuzz shapes, write a run folder' },
  sweep: { run: runCommand, about: 'the same as run' },
  list: { run: listCommand, about: 'list every model class of the pinned transformers (or --default: the default set)' },
  replay: { run: replayCommand, about: "re-run one job of a run from its fuzz failure's seed and path" },
  merge: { run: mergeCommand, about: 'combine the shard folders of one sweep into one run folder' },
  costs: { run: costsCommand, about: 'record the job times of runs in the cost table that balances --shard' },
  report: { run: reportCommand, about: "print a run folder's matrix, failures and findings" },
  repair: { run: repairCommand, about: 'move the damaged lines of a run folder\'s results.jsonl aside, so it can be reported and resumed' },
  diff: { run: diffCommand, about: 'compare two runs job by job: regressions, fixes, error and tolerance changes' },
  bisect: { run: bisectCommand, about: 'name the moved package that broke each regression between two runs under different pins' },
  cache: { run: cacheCommand, about: "list the cached Python environments and their size; prune the ones no pin set uses" },
  coverage: { run: coverageCommand, about: 'tiny config for every class, one eager forward each: the share that works' },
  'catalog-status': { run: catalogStatusCommand, about: 'record catalog shards; write docs/catalog-status.md/.json from every record' },
};

const USAGE = `usage: export-sweep <command> [options]   (export-sweep help <command> for its options)

commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)} ${c.about}`).join('\n')}
  help           this text, or help <command> for that command's options

  --version      the export-sweep version and the pin set in force

exit codes: 0 every job passed, 1 failures found, 2 usage error, 3 internal error`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (command === '--version' || command === '-V' || command === 'version') {
    console.log(versionLine());
    return 0;
  }
  if (command === 'help') return help(rest[0]);
  const entry = COMMANDS[command];
  if (!entry) throw new UsageError(`unknown command '${command}'; see \`export-sweep --help\``);
  try {
    return await entry.run(rest);
  } catch (error) {
    // one line naming the problem and where the usage is, not the usage itself
    if (error instanceof UsageError || error instanceof SelectionError) throw new UsageError(`${error.message}; see \`export-sweep ${command} --help\``);
    throw error;
  }
}

function help(command: string | undefined): Promise<number> | number {
  if (!command) {
    console.log(USAGE);
    return 0;
  }
  const entry = COMMANDS[command];
  if (!entry) throw new UsageError(`help: unknown command '${command}'; the commands are ${Object.keys(COMMANDS).join(', ')}`);
  return entry.run(['--help']);
}

// SIGTERM (a CI job cancelled, kill) and SIGINT (Ctrl-C) stop the workers with the CLI; without
// this they ran on, finishing jobs nobody would read and holding memory. Finished results are
// already in results.jsonl; process.exit runs the exit hook that releases the run folder's lock.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    const pids = stopAllWorkers();
    console.error(`\nexport-sweep: ${signal}: stopped${pids.length ? ` ${pids.length} worker(s) (pid ${pids.join(', ')}) and` : ''} exiting; finished results stay in the run folder, \`export-sweep run --resume RUN\` runs the rest`);
    process.exit(128 + constants.signals[signal]);
  });
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: Error) => {
    console.error(`export-sweep: ${error.message}`);
    process.exitCode = exitCodeFor(error);
    if (process.exitCode === EXIT.internal && error.stack) console.error(error.stack.split('\n').slice(1).join('\n'));
  },
);
