import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobResult } from '../sweep/job-result.js';
import { CorruptResultsError, ResultStore } from './result-store.js';

const result = (id: string, status: JobResult['status'] = 'pass'): JobResult => ({
  id, model: 'm', modelClass: 'C', backend: 'dynamo', mode: 'static', status, durationsMs: { total: 1 }, shapes: [], finishedAt: 'now',
});
const line = (r: JobResult) => `${JSON.stringify(r)}\n`;
const tempStore = async () => join(await mkdtemp(join(tmpdir(), 'store-')), 'results.jsonl');

describe('ResultStore', () => {
  it('keeps every appended result and ignores a torn last line', async () => {
    const path = await tempStore();
    const store = new ResultStore(path);
    store.append(result('a'));
    store.append(result('b'));
    appendFileSync(path, '{"id": "c", "sta'); // the process died mid-write
    expect(new ResultStore(path).read().map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('cuts a torn last line before appending, so the next result is not corrupted with it', async () => {
    const path = await tempStore();
    new ResultStore(path).append(result('a'));
    appendFileSync(path, '{"id": "b", "sta');
    new ResultStore(path).append(result('b'));
    expect(new ResultStore(path).read().map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('keeps a whole last result that lost only its newline, instead of cutting a job readers count as done', async () => {
    const path = await tempStore();
    writeFileSync(path, line(result('a')) + JSON.stringify(result('b')));
    expect(new ResultStore(path).read().map((r) => r.id)).toEqual(['a', 'b']);
    new ResultStore(path).append(result('c'));
    expect(new ResultStore(path).read().map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });

  it('refuses a damaged line that is not the last, naming the file and line and the repair command', async () => {
    const path = await tempStore();
    writeFileSync(path, line(result('a')) + '{"id": "b", "sta\n' + line(result('c')) + '42\n' + line(result('d')));
    const read = () => new ResultStore(path).read();
    expect(read).toThrow(CorruptResultsError);
    expect(read).toThrow(`${path}:2: `);
    expect(read).toThrow(`${path}:4: valid JSON but not a job result`);
    expect(read).toThrow(`export-sweep repair ${join(path, '..')}`);
    try {
      read();
    } catch (error) {
      expect((error as CorruptResultsError).bad.map((b) => b.line)).toEqual([2, 4]);
    }
  });

  it('keeps one result per job id, the last line for it, and lists the duplicates', async () => {
    const path = await tempStore();
    writeFileSync(path, [result('a', 'crashed'), result('b'), result('a', 'pass'), result('c')].map(line).join(''));
    const store = new ResultStore(path);
    expect(store.read().map((r) => [r.id, r.status])).toEqual([['a', 'pass'], ['b', 'pass'], ['c', 'pass']]);
    expect(store.readAll().duplicates).toEqual([{ id: 'a', lines: [1, 3] }]);
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean)).toHaveLength(4); // reading changes nothing
  });
});
