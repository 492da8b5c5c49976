import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '../catalog/catalog.js';
import { REPO_ROOT } from '../python/paths.js';
import { pinSetName } from '../python/pin-set.js';
import { failureText, findSkip, loadSkipList, loadSkipLists, SkipListError } from './skip-list.js';

const good = {
  class: 'GPT2LMHeadModel', backends: ['executorch'], modes: ['dynamic'], reason: 'r', todo: 't',
  link: 'https://github.com/pytorch/executorch/issues/1', added: '2026-11-29', pins: 'baseline',
};
const known = [
  { class: 'GPT2LMHeadModel', model_types: ['gpt2'] }, { class: 'BertModel', model_types: ['bert'] },
  { class: 'MambaModel', model_types: ['mamba'] }, { class: 'MambaForCausalLM', model_types: ['mamba'] },
];

async function listFile(entries: unknown[]): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'skips-')), 'export-skip.json');
  writeFileSync(file, `${JSON.stringify({ entries }, null, 2)}\n`);
  return file;
}

const loadError = (file: string, list: 'export-skip' | 'onnx-disable-optimize' = 'export-skip') => {
  try {
    loadSkipList(file, list, known);
  } catch (e) {
    expect(e).toBeInstanceOf(SkipListError);
    return (e as Error).message;
  }
  return '';
};

const job = (backend: string, mode: string, model: { class: string; model_type?: string } = { class: 'GPT2LMHeadModel', model_type: 'gpt2' }) => ({ model, backend, mode });

describe('skip lists', () => {
  it('loads a valid entry with its line, and matches jobs by class, backend and mode', async () => {
    const [entry] = loadSkipList(await listFile([good]), 'export-skip', known);
    expect(entry.line).toBe(3);
    expect(entry.kind).toBe('skip'); // the default: an entry written before kinds existed still skips
    expect(findSkip([entry], job('executorch', 'dynamic'), 'baseline')).toBe(entry);
    expect(findSkip([entry], job('executorch', 'static'), 'baseline')).toBeUndefined();
    expect(findSkip([entry], job('onnx', 'dynamic'), 'baseline')).toBeUndefined();
  });

  it('rejects an entry without an upstream link, naming the file and line', async () => {
    const file = await listFile([good, { ...good, class: 'BertModel', link: undefined }]);
    expect(() => loadSkipList(file, 'export-skip', known)).toThrow(SkipListError);
    expect(loadError(file)).toMatch(/export-skip\.json:17: BertModel: has no upstream link/);
  });

  it('rejects a link that is not an issue or pull request, an unknown class, a bad scope and unknown fields', async () => {
    const error = loadError(await listFile([{ ...good, class: 'NoSuchModel', link: 'https://example.com/bug', modes: ['sometimes'], note: 'x' }]));
    expect(error).toMatch(/:3: NoSuchModel: link 'https:\/\/example\.com\/bug' is not a GitHub issue or pull-request URL/);
    expect(error).toMatch(/class 'NoSuchModel' is not a model class of the pinned transformers/);
    expect(error).toMatch(/"modes" must be "all" or a list of static, dynamic, generate/);
    expect(error).toMatch(/unknown field "note"/);
  });

  it('onnx-disable-optimize entries apply to the onnx backend only, and have no kind', async () => {
    const file = await listFile([{ ...good, backends: undefined }]);
    const [entry] = loadSkipList(file, 'onnx-disable-optimize', known);
    expect(entry.backends).toEqual(['onnx']);
    expect(loadError(await listFile([good]), 'onnx-disable-optimize')).toMatch(/apply to the onnx backend only/);
    expect(loadError(await listFile([{ ...good, backends: undefined, kind: 'xfail', error: 'x' }]), 'onnx-disable-optimize'))
      .toMatch(/:3: GPT2LMHeadModel: "kind" belongs to export-skip entries/);
  });

  it("the repo's own lists are valid, their classes and types those of the pinned transformers", async () => {
    const catalog = await loadCatalog();
    expect(() => loadSkipLists(undefined, catalog)).not.toThrow();
  }, 120_000);
});

describe('expectation kinds', () => {
  it('an xfail entry keeps its error as a pattern, searched in the failure\'s "Type: message"', async () => {
    const [entry] = loadSkipList(await listFile([{ ...good, kind: 'xfail', error: 'Guard failed: input_ids\\.size\\(\\)\\[1\\] >= \\d+' }]), 'export-skip', known);
    expect(entry.kind).toBe('xfail');
    const text = failureText({ errorInfo: { type: 'AssertionError', message: 'smallest failing shape batch=1 seq=1: Guard failed: input_ids.size()[1] >= 3' } });
    expect(text).toBe('AssertionError: smallest failing shape batch=1 seq=1: Guard failed: input_ids.size()[1] >= 3');
    expect(entry.errorPattern!.test(text)).toBe(true);
    expect(entry.errorPattern!.test('AssertionError: Guard failed: input_ids.size()[1] == 7')).toBe(false);
  });

  it('refuses an xfail without an error, a pattern that does not compile, an error on a skip and an unknown kind', async () => {
    const error = loadError(await listFile([
      { ...good, kind: 'xfail' }, { ...good, kind: 'xfail', error: 'Guard failed: (' }, { ...good, error: 'x' }, { ...good, kind: 'sometimes' },
    ]));
    expect(error).toMatch(/:3: GPT2LMHeadModel: an xfail entry needs "error"/);
    expect(error).toMatch(/:18: GPT2LMHeadModel: "error" is not a valid regular expression/);
    expect(error).toMatch(/:34: GPT2LMHeadModel: "error" is the expected failure of an xfail entry; a skip entry does not run its job/);
    expect(error).toMatch(/:49: GPT2LMHeadModel: "kind" must be one of skip, xfail/);
  });
});

describe('pins are enforced', () => {
  const saved = process.env.EXPORT_SWEEP_PINS;
  afterEach(() => {
    if (saved === undefined) delete process.env.EXPORT_SWEEP_PINS;
    else process.env.EXPORT_SWEEP_PINS = saved;
  });

  it('an entry scoped to baseline is not applied under another pin set; a list or "all" widens it', async () => {
    const [baseline, both, all] = loadSkipList(await listFile([good, { ...good, pins: ['baseline', 'next'] }, { ...good, pins: 'all' }]), 'export-skip', known);
    const covered = job('executorch', 'dynamic');
    expect(findSkip([baseline], covered, 'baseline')).toBe(baseline);
    expect(findSkip([baseline], covered, 'next')).toBeUndefined();
    expect(findSkip([baseline], covered, 'latest')).toBeUndefined();
    expect(findSkip([both], covered, 'next')).toBe(both);
    expect(findSkip([both], covered, 'latest')).toBeUndefined();
    expect(findSkip([all], covered, 'latest')).toBe(all);
  });

  it('the pin set in force is the one --pins selects (EXPORT_SWEEP_PINS), by default baseline', async () => {
    const [baseline] = loadSkipList(await listFile([good]), 'export-skip', known);
    delete process.env.EXPORT_SWEEP_PINS;
    expect(pinSetName()).toBe('baseline');
    expect(findSkip([baseline], job('executorch', 'dynamic'))).toBe(baseline);
    process.env.EXPORT_SWEEP_PINS = join(REPO_ROOT, 'pins', 'next.txt');
    expect(pinSetName()).toBe('next');
    expect(findSkip([baseline], job('executorch', 'dynamic'))).toBeUndefined();
  });

  it('refuses a pin set without a pins file, and a pins field that is no name', async () => {
    const error = loadError(await listFile([{ ...good, pins: ['baseline', 'nightly'] }, { ...good, pins: [] }]));
    expect(error).toMatch(/:3: GPT2LMHeadModel: pin set 'nightly' has no pins\/nightly\.txt/);
    expect(error).toMatch(/:20: GPT2LMHeadModel: "pins" must name the pin sets the entry applies under/);
  });
});

describe('entries by model type', () => {
  it('a type-scoped entry covers every class of that model type, and no other', async () => {
    const [entry] = loadSkipList(await listFile([{ ...good, class: undefined, type: 'mamba', backends: 'all' }]), 'export-skip', known);
    expect(findSkip([entry], job('onnx', 'dynamic', { class: 'MambaForCausalLM', model_type: 'mamba' }), 'baseline')).toBe(entry);
    expect(findSkip([entry], job('dynamo', 'dynamic', { class: 'MambaModel', model_type: 'mamba' }), 'baseline')).toBe(entry);
    expect(findSkip([entry], job('onnx', 'dynamic', { class: 'GPT2LMHeadModel', model_type: 'gpt2' }), 'baseline')).toBeUndefined();
    // a hub model's type is not known before it loads: a type entry does not guess
    expect(findSkip([entry], job('onnx', 'dynamic', { class: 'org/mamba-repo', model_type: '' }), 'baseline')).toBeUndefined();
  });

  it('needs exactly one of class and type, and refuses an unknown type by file and line', async () => {
    const error = loadError(await listFile([{ ...good, type: 'gpt2' }, { ...good, class: undefined }, { ...good, class: undefined, type: ['mamba', 'no_such_type'] }]));
    expect(error).toMatch(/:3: GPT2LMHeadModel: needs exactly one of "class" \(model classes\) and "type"/);
    expect(error).toMatch(/:18: entry: needs exactly one of "class"/);
    expect(error).toMatch(/:31: mamba, no_such_type: type 'no_such_type' is not a model type of the pinned transformers/);
  });
});
