// A damaged results.jsonl: every reader that decides something from it (report, diff, merge,
// --resume) refuses it by file:line; `export-sweep repair` moves the damage aside and they work again.
import { appendFileSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelEntries, selectModels } from '../catalog/default-models.js';
import { diffCommand } from '../cli/diff-command.js';
import { repairCommand } from '../cli/repair-command.js';
import { reportCommand } from '../cli/report-command.js';
import type { JobResult } from '../sweep/job-result.js';
import { mergeRuns } from './merge-runs.js';
import { repairResults } from './repair-results.js';
import { REJECTED } from './result-store.js';
import { newManifest, RESULTS, RunFolder } from './run-folder.js';
import { RunFolderLock } from './run-folder-lock.js';

const result = (id: string, status: JobResult['status'] = 'pass'): JobResult => {
  const [model, backend, mode] = id.split('/');
  return { id, model, modelClass: 'BertModel', backend, mode: mode as JobResult['mode'], status, durationsMs: { total: 1 }, shapes: [], finishedAt: new Date().toISOString() };
};

async function damagedRun(): Promise<{ dir: string; path: string }> {
  const dir = join(await mkdtemp(join(tmpdir(), 'repair-')), 'run');
  const folder = new RunFolder(dir);
  folder.writeManifest(newManifest({ models: selectModels(loadModelEntries(), ['tiny-bert', 'tiny-gpt2']), backends: ['dynamo'], modes: ['static', 'dynamic'], shapes: 0, seed: 1 }, {}));
  const path = join(dir, RESULTS);
  appendFileSync(path, [
    JSON.stringify(result('tiny-bert/dynamo/static', 'crashed')),
    '{"id": "tiny-bert/dynamo/dynamic", "sta', // damaged in the middle: not the torn last line
    JSON.stringify(result('tiny-gpt2/dynamo/static')),
    JSON.stringify(result('tiny-bert/dynamo/static', 'pass')), // a second writer's duplicate
    '',
  ].join('\n'));
  return { dir, path };
}

describe('a damaged results.jsonl', () => {
  it('is refused by report, diff, merge and --resume with the file, the line and the repair command', async () => {
    const { dir, path } = await damagedRun();
    const message = `${path}:2: `;
    const folder = new RunFolder(dir);
    expect(() => folder.results()).toThrow(message);
    expect(() => folder.missingJobs()).toThrow(message);
    await expect(reportCommand([dir])).rejects.toThrow(message);
    await expect(diffCommand([dir, dir])).rejects.toThrow(message);
    expect(() => mergeRuns(join(dir, '..', 'merged'), [dir])).toThrow(message);
    await expect(reportCommand([dir])).rejects.toThrow(`export-sweep repair ${dir}`);
  });

  it('repair moves the damaged line and the superseded duplicate to results.rejected.jsonl, with line numbers', async () => {
    const { dir, path } = await damagedRun();
    const before = readFileSync(path, 'utf8').split('\n');
    expect(await repairCommand([dir])).toBe(0);
    const rejected = readFileSync(join(dir, REJECTED), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; text: string; reason: string });
    expect(rejected.map((r) => [r.line, r.text])).toEqual([[1, before[0]], [2, before[1]]]);
    expect(rejected[1].reason).toMatch(/JSON/);
    expect(rejected[0].reason).toBe('superseded by line 4 for tiny-bert/dynamo/static');
    const folder = new RunFolder(dir);
    expect(folder.results().map((r) => [r.id, r.status])).toEqual([['tiny-gpt2/dynamo/static', 'pass'], ['tiny-bert/dynamo/static', 'pass']]);
    expect(folder.readResults().notes).toEqual([]);
    expect(folder.missingJobs().map((j) => j.id).sort()).toEqual(['tiny-bert/dynamo/dynamic', 'tiny-gpt2/dynamo/dynamic']);
    expect(repairResults(dir)).toMatchObject({ kept: 2, bad: [], superseded: [] });
  });

  it('duplicates alone are read once each, the last line winning, and said so; totals stay within the manifest', async () => {
    const { dir, path } = await damagedRun();
    const lines = readFileSync(path, 'utf8').split('\n');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, [lines[0], lines[2], lines[3], JSON.stringify(result('other-model/dynamo/static')), ''].join('\n'));
    const read = new RunFolder(dir).readResults();
    expect(read.results.map((r) => [r.id, r.status])).toEqual([['tiny-bert/dynamo/static', 'pass'], ['tiny-gpt2/dynamo/static', 'pass']]);
    expect(read.notes.join('\n')).toMatch(/1 job\(s\) have more than one result line, the last of each is used: tiny-bert\/dynamo\/static \(lines 1, 3\)/);
    expect(read.notes.join('\n')).toMatch(/1 result\(s\) of jobs not in manifest.json are left out: other-model\/dynamo\/static/);
  });

  it('repair is a writer: refused at once while a run holds the folder', async () => {
    const { dir } = await damagedRun();
    const lock = RunFolderLock.acquire(dir, 'run --resume');
    try {
      expect(() => repairResults(dir)).toThrow(/is being written by another export-sweep/);
    } finally {
      lock.release();
    }
  });
});
