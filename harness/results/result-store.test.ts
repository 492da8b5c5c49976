import { appendFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobResult } from '../sweep/job-result.js';
import { ResultStore } from './result-store.js';

const result = (id: string): JobResult => ({
  id, model: 'm', modelClass: 'C', backend: 'dynamo', mode: 'static', status: 'pass', durationsMs: { total: 1 }, shapes: [], finishedAt: 'now',
});

describe('ResultStore', () => {
  it('keeps every appended result and ignores a torn last line', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'store-')), 'run', 'results.jsonl');
    const store = new ResultStore(path);
    store.append(result('a'));
    store.append(result('b'));
    appendFileSync(path, '{"id": "c", "sta'); // the process died mid-write
    expect(new ResultStore(path).read().map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('cuts a torn last line before appending, so the next result is not corrupted with it', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'store-')), 'results.jsonl');
    new ResultStore(path).append(result('a'));
    appendFileSync(path, '{"id": "b", "sta');
    new ResultStore(path).append(result('b'));
    expect(new ResultStore(path).read().map((r) => r.id)).toEqual(['a', 'b']);
  });
});
