// The nightly's chain (.github/workflows/nightly.yml, docs/nightly.md) on a tiny real selection,
// through the same bin/nightly steps and the workflow's own SWEEP_OPTIONS: two shards, merged,
// hold every job once with the statuses of an unsharded run, and diff against it shows no change;
// a regression, or a shard that never ran, fails the merge step once everything is written.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheRoot, REPO_ROOT } from '../harness/python/paths.js';
import { RunFolder } from '../harness/results/run-folder.js';
import type { JobResult } from '../harness/sweep/job-result.js';

const workflow = readFileSync(join(REPO_ROOT, '.github', 'workflows', 'nightly.yml'), 'utf8');
const sweepOptions = workflow.match(/^\s*SWEEP_OPTIONS:\s*(.+)$/m)?.[1].trim().split(/\s+/) ?? [];
// the workflow's selection is the whole catalog; two small models, one backend and mode, keep this short
const selection = ['--models', 'tiny-bert,tiny-gpt2', '--backends', 'dynamo', '--modes', 'static', '--jobs', '1'];

let root: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'nightly-chain-'));
  // a fresh cache (checkpoints, artifacts, results), sharing only the pinned Python environments (GBs)
  const cache = join(root, 'cache');
  mkdirSync(cache);
  symlinkSync(join(cacheRoot(), 'python'), join(cache, 'python'));
  env = { ...process.env, EXPORT_SWEEP_CACHE: cache };
});
// CI's machine is kept between runs; the shared environments' link goes first, so nothing follows it
afterAll(() => {
  unlinkSync(join(root, 'cache', 'python'));
  rmSync(root, { recursive: true, force: true });
});

/** A script of bin/ as the workflow calls it. */
function bin(script: 'nightly' | 'export-sweep', args: string[]): Promise<{ code: number; output: string }> {
  const child = spawn(join(REPO_ROOT, 'bin', script), args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output })));
}

const statuses = (results: JobResult[]) => Object.fromEntries(results.map((r) => [r.id, r.status]).sort());

describe('the nightly chain: shard, merge, report, diff', () => {
  it('merges two shards into the unsharded run, job for job, and fails on a regression or a missing shard', async () => {
    expect(sweepOptions, 'nightly.yml has no SWEEP_OPTIONS').toContain('--seed');
    const shard = (dir: string, index: string) => bin('nightly', ['shard', index, join(root, dir), ...sweepOptions, ...selection]);
    // the unsharded run beside them, as one machine would run it
    const unsharded = bin('export-sweep', ['run', '--out', join(root, 'full'), ...sweepOptions, ...selection]);
    const runs = await Promise.all([shard('shard1', '1/2'), shard('shard2', '2/2'), unsharded]);
    runs.forEach(({ code, output }) => expect(code, output).toBe(0));

    const merged = await bin('nightly', ['merge', join(root, 'merged'), join(root, 'full'), join(root, 'shard1'), join(root, 'shard2')]);
    expect(merged.code, merged.output).toBe(0);
    const fullResults = new RunFolder(join(root, 'full')).results();
    const mergedResults = new RunFolder(join(root, 'merged')).results();
    expect(fullResults).toHaveLength(2);
    const ids = mergedResults.map((r) => r.id);
    expect(new Set(ids).size, 'a job is in the merged run twice').toBe(ids.length);
    expect(statuses(mergedResults)).toEqual(statuses(fullResults));
    const shardIds = [1, 2].map((i) => new RunFolder(join(root, `shard${i}`)).results().map((r) => r.id));
    expect(shardIds.every((s) => s.length > 0), 'a shard ran nothing: the split is not a split').toBe(true);
    expect(merged.output).toMatch(/no changes between full and merged/);
    expect(readFileSync(join(root, 'merged', 'diff.md'), 'utf8')).toMatch(/No regressions/);
    expect(existsSync(join(root, 'merged', 'index.html'))).toBe(true);

    // Tonight's shard with one job failing where last night it passed. The failure is written into
    // a copy of a real shard: no tiny model fails on demand, and merge and diff are what is tested.
    cpSync(join(root, 'shard1'), join(root, 'shard1-regressed'), { recursive: true });
    const resultsFile = join(root, 'shard1-regressed', 'results.jsonl');
    const [firstLine, ...rest] = readFileSync(resultsFile, 'utf8').split('\n');
    const failed = { ...JSON.parse(firstLine), status: 'mismatch', stage: 'compare', error: 'output 0 out of tolerance' };
    writeFileSync(resultsFile, [JSON.stringify(failed), ...rest].join('\n'));
    const regressed = await bin('nightly', ['merge', join(root, 'regressed'), join(root, 'merged'), join(root, 'shard1-regressed'), join(root, 'shard2')]);
    expect(regressed.code, regressed.output).toBe(1);
    expect(regressed.output).toMatch(/regressions against the previous night/);
    expect(readFileSync(join(root, 'regressed', 'diff.md'), 'utf8')).toContain(failed.id);

    // the first night, and a shard that never uploaded: the merged run is still written and reported,
    // diff.md says there was nothing to diff, and the night fails for the missing jobs
    const partial = await bin('nightly', ['merge', join(root, 'partial'), join(root, 'no-previous-night'), join(root, 'shard2')]);
    expect(partial.code, partial.output).toBe(1);
    expect(partial.output).toMatch(/jobs without a result/);
    expect(readFileSync(join(root, 'partial', 'diff.md'), 'utf8')).toMatch(/No previous night's run/);
    expect(existsSync(join(root, 'partial', 'index.html'))).toBe(true);
  }, 300_000);
});
