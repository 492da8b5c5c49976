// export-sweep command line: one module per command, each with its own --help.
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
import { UsageError } from './args.js';

const COMMANDS: Record<string, { run: (args: string[]) => Promise<number>; about: string }> = {
  run: { run: runCommand, about: 'export the selection with every backend, compare with eager, fuzz shapes, write a run folder' },
  sweep: { run: runCommand, about: 'the same as run' },
  list: { run: listCommand, about: 'list every model class of the pinned transformers (or --default: the default set)' },
  replay: { run: replayCommand, about: "re-run one job of a run from its fuzz failure's seed and path" },
  merge: { run: mergeCommand, about: 'combine the shard folders of one sweep into one run folder' },
  report: { run: reportCommand, about: "print a run folder's matrix, failures and findings" },
  repair: { run: repairCommand, about: 'move the damaged lines of a run folder\'s results.jsonl aside, so it can be reported and resumed' },
  diff: { run: diffCommand, about: 'compare two runs job by job: regressions, fixes, error and tolerance changes' },
  coverage: { run: coverageCommand, about: 'tiny config for every class, one eager forward each: the share that works' },
};

const USAGE = `usage: export-sweep <command> [options]   (export-sweep <command> --help for its options)

commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(9)} ${c.about}`).join('\n')}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    console.error(`unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  return entry.run(rest);
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
    console.error(error instanceof UsageError ? `export-sweep: ${error.message}` : `export-sweep: ${error.message}`);
    process.exitCode = 2;
  },
);
