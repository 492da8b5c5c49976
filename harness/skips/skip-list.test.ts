import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findSkip, loadSkipList, loadSkipLists, SkipListError } from './skip-list.js';

const good = {
  class: 'GPT2LMHeadModel', backends: ['executorch'], modes: ['dynamic'], reason: 'r', todo: 't',
  link: 'https://github.com/pytorch/executorch/issues/1', added: '2026-11-29', pins: 'baseline',
};
const known = new Set(['GPT2LMHeadModel', 'BertModel']);

async function listFile(entries: unknown[]): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'skips-')), 'export-skip.json');
  writeFileSync(file, `${JSON.stringify({ entries }, null, 2)}\n`);
  return file;
}

describe('skip lists', () => {
  it('loads a valid entry with its line, and matches jobs by class, backend and mode', async () => {
    const [entry] = loadSkipList(await listFile([good]), 'export-skip', known);
    expect(entry.line).toBe(3);
    const job = (backend: string, mode: string) => ({ model: { class: 'GPT2LMHeadModel' }, backend, mode });
    expect(findSkip([entry], job('executorch', 'dynamic'))).toBe(entry);
    expect(findSkip([entry], job('executorch', 'static'))).toBeUndefined();
    expect(findSkip([entry], job('onnx', 'dynamic'))).toBeUndefined();
  });

  it('rejects an entry without an upstream link, naming the file and line', async () => {
    const file = await listFile([good, { ...good, class: 'BertModel', link: undefined }]);
    expect(() => loadSkipList(file, 'export-skip', known)).toThrow(SkipListError);
    expect(() => loadSkipList(file, 'export-skip', known)).toThrow(/export-skip\.json:17: BertModel: has no upstream link/);
  });

  it('rejects a link that is not an issue or pull request, an unknown class, a bad scope and unknown fields', async () => {
    const file = await listFile([{ ...good, class: 'NoSuchModel', link: 'https://example.com/bug', modes: ['sometimes'], note: 'x' }]);
    const error = (() => { try { loadSkipList(file, 'export-skip', known); } catch (e) { return (e as Error).message; } return ''; })();
    expect(error).toMatch(/:3: NoSuchModel: link 'https:\/\/example\.com\/bug' is not a GitHub issue or pull-request URL/);
    expect(error).toMatch(/class 'NoSuchModel' is not a model class of the pinned transformers/);
    expect(error).toMatch(/"modes" must be "all" or a list of static, dynamic, generate/);
    expect(error).toMatch(/unknown field "note"/);
  });

  it('onnx-disable-optimize entries apply to the onnx backend only', async () => {
    const file = await listFile([{ ...good, backends: undefined }]);
    const [entry] = loadSkipList(file, 'onnx-disable-optimize', known);
    expect(entry.backends).toEqual(['onnx']);
    const bad = await listFile([good]);
    expect(() => loadSkipList(bad, 'onnx-disable-optimize', known)).toThrow(/apply to the onnx backend only/);
  });

  it("the repo's own lists are valid", () => {
    expect(() => loadSkipLists()).not.toThrow();
  });
});
