// `export-sweep replay`: one job of a run again, fuzzing from a failure's seed and path, so the
// smallest failing shape is reproduced (and can be debugged) without re-running the sweep.
import { join } from 'node:path';
import { loadCatalog } from '../catalog/catalog.js';
import { loadTinyOverrides } from '../catalog/tiny-overrides.js';
import { resultLine } from '../report/table.js';
import { RunFolder } from '../results/run-folder.js';
import { resolveModelFrom } from '../sweep/checkpoints.js';
import { expandJobs } from '../sweep/jobs.js';
import { runSweep } from '../sweep/sweep.js';
import { nonNegativeInt, parseCommand, seedInt, UsageError } from './args.js';

export const REPLAY_USAGE = `usage: export-sweep replay RUN JOB_ID [--seed S] [--path P] [--shapes N] [--out DIR]

Runs JOB_ID (model/backend/mode, as in the run's results) of run folder RUN again with the fuzzing
seed and fast-check path of its failure (read from its result unless given), and prints the
smallest failing shape. Writes a new run folder (default RUN/replays/<timestamp>).`;

export async function replayCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(args, REPLAY_USAGE, {
    seed: { type: 'string' }, path: { type: 'string' }, shapes: { type: 'string' }, out: { type: 'string' },
  } as const);
  if (!parsed) return 0;
  const [runDir, jobId] = parsed.positionals;
  if (!runDir || !jobId) throw new UsageError(`replay needs a run folder and a job id`);
  const folder = new RunFolder(runDir);
  const { selection } = folder.readManifest();
  const job = expandJobs(selection.models, selection.backends, selection.modes).find((j) => j.id === jobId);
  if (!job) throw new UsageError(`no job '${jobId}' in ${runDir}; job ids are model/backend/mode, see \`export-sweep report ${runDir}\``);
  const previous = folder.results().find((r) => r.id === jobId);
  const seed = seedInt(parsed.values.seed, '--seed') ?? previous?.fuzz?.seed;
  if (seed === undefined) throw new UsageError(`${jobId} has no fuzzing seed in ${runDir}; pass --seed`);
  const path = parsed.values.path ?? previous?.fuzz?.path;
  const out = parsed.values.out ?? join(runDir, 'replays', new Date().toISOString().replace(/[:.]/g, '-'));
  const catalog = job.model.source?.startsWith('synthetic:') ? await loadCatalog() : [];
  console.log(`export-sweep: replaying ${jobId} with seed ${seed}${path ? ` path ${path}` : ''} -> ${out}`);
  const lock = new RunFolder(out).lock('replay');
  const run = await runSweep({
    jobs: [job], runDir: out, workers: 1, implementation: selection.implementation,
    fuzz: { numRuns: nonNegativeInt(parsed.values.shapes, '--shapes') ?? selection.shapes, seed, path, replay: true },
    resolveModel: resolveModelFrom({ catalog, overrides: loadTinyOverrides() }),
  }).finally(() => lock.release());
  const [result] = run.results;
  console.log(`${result.id}: ${resultLine(result)}`);
  if (result.fuzz && !result.fuzz.ok) console.log(`${result.fuzz.error}\n(fast-check seed ${result.fuzz.seed}, path ${result.fuzz.path})`);
  return result.status === 'pass' ? 0 : 1;
}
