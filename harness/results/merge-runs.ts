// Shards of one sweep (run with --shard i/n, e.g. on a CI job matrix) combined into one run folder.
// Shards must come from the same selection on the same pin set; a job in two shards is an error.
import { RunFolder, selectionJobs, type RunManifest } from './run-folder.js';

/** Shards that are not one sweep's (or an --out that holds a run): the caller's input, refused. */
export class MergeRefusedError extends Error {}

export interface MergeReport {
  jobs: number;
  results: number;
  missing: string[];
  /** What the shards' readers set aside (duplicate lines, foreign jobs), to print. */
  notes: string[];
}

function sameSelection(a: RunManifest, b: RunManifest): boolean {
  const key = (m: RunManifest) => JSON.stringify({ ...m.selection, shard: undefined, models: m.selection.models.map((e) => e.id) });
  return key(a) === key(b);
}

export function mergeRuns(outDir: string, shardDirs: string[]): MergeReport {
  if (shardDirs.length < 1) throw new MergeRefusedError('merge needs at least one shard folder');
  const shards = shardDirs.map((dir) => new RunFolder(dir));
  const manifests = shards.map((shard) => shard.readManifest());
  const [first] = manifests;
  for (const [i, manifest] of manifests.entries()) {
    if (manifest.pins.key !== first.pins.key) {
      throw new MergeRefusedError(`${shardDirs[i]} ran on pin set ${manifest.pins.name} (${manifest.pins.key}), ${shardDirs[0]} on ${first.pins.name} (${first.pins.key}); merge shards of one pin set`);
    }
    if (!sameSelection(manifest, first)) throw new MergeRefusedError(`${shardDirs[i]} ran another selection than ${shardDirs[0]}; merge shards of one sweep`);
  }
  const out = new RunFolder(outDir);
  const lock = out.lock('merge');
  try {
    if (out.exists()) throw new MergeRefusedError(`${outDir} already holds a run; merge into a new folder`);
    return mergeInto(out, shards, manifests, shardDirs);
  } finally {
    lock.release();
  }
}

function mergeInto(out: RunFolder, shards: RunFolder[], manifests: RunManifest[], shardDirs: string[]): MergeReport {
  const [first] = manifests;
  const owner = new Map<string, string>();
  const read = shards.map((shard) => shard.readResults());
  const results = read.flatMap(({ results: shardResults }, i) => shardResults.map((result) => {
    const earlier = owner.get(result.id);
    if (earlier) throw new MergeRefusedError(`job ${result.id} has results in both ${earlier} and ${shardDirs[i]}; were the shards of different sweeps?`);
    owner.set(result.id, shardDirs[i]);
    return result;
  }));
  const selection = { ...first.selection, shard: undefined };
  const all = selectionJobs(selection).map((job) => job.id);
  const ended = manifests.map((m) => m.endedAt).filter((e): e is string => Boolean(e));
  out.writeManifest({
    ...first,
    selection,
    jobs: all,
    startedAt: manifests.map((m) => m.startedAt).sort()[0],
    endedAt: ended.length === manifests.length ? ended.sort().at(-1) : undefined,
    mergedFrom: shardDirs,
  });
  for (const result of results) out.store.append(result);
  return { jobs: all.length, results: results.length, missing: all.filter((id) => !owner.has(id)), notes: read.flatMap((r) => r.notes) };
}
