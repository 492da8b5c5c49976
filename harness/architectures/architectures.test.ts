import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelEntries } from '../catalog/default-models.js';
import { REPO_ROOT } from '../python/paths.js';
import { toleranceFor } from '../compare/tolerance.js';
import { findSkip, loadExpectations, loadSkipLists, SkipListError } from '../skips/skip-list.js';
import { ArchitectureError, defaultModels, loadArchitectures, parseArchitectures, recipeData, jsonLines, toleranceData } from './architectures.js';

const known = [
  { class: 'GPT2LMHeadModel', model_types: ['gpt2'] }, { class: 'BertModel', model_types: ['bert'] },
  { class: 'MambaForCausalLM', model_types: ['mamba'] }, { class: 'JambaForCausalLM', model_types: ['jamba'] },
];
const skip = {
  backends: ['executorch'], modes: ['dynamic'], reason: 'r', todo: 't',
  link: 'https://github.com/pytorch/executorch/issues/1', added: '2026-11-29', pins: 'baseline',
};
const text = (rows: unknown) => `${JSON.stringify({ rows }, null, 2)}\n`;
const parse = (rows: unknown) => parseArchitectures(text(rows), 'architectures.json');
const problem = (rows: unknown): string => {
  try {
    parse(rows);
  } catch (error) {
    expect(error).toBeInstanceOf(ArchitectureError);
    return (error as Error).message;
  }
  return '';
};

async function rowsFile(rows: unknown): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'rows-')), 'architectures.json');
  writeFileSync(file, text(rows));
  return file;
}

describe('architecture rows', () => {
  it('names the row, the field and the fix for a bad row', () => {
    expect(problem({ bert: { tinyConfig: { hidden_size: 8 } } })).toMatch(/architectures\.json:3: rows\.bert\.tinyConfig: lacks "\$why"/);
    expect(problem({ bert: { tinyconfig: {} } })).toMatch(/rows\.bert\.unknown field "tinyconfig"; a row has why, tinyConfig, inputs/);
    expect(problem({ bert: { inputs: { $why: 'w', frames: 2 } } })).toMatch(/rows\.bert\.inputs: unknown field "frames"; the recipe reads imageFrames/);
    expect(problem({ bert: { inputs: { $why: 'w', imageFrames: 0 } } })).toMatch(/"imageFrames" must be an integer >= 1/);
    expect(problem({ bert: { inputs: { $why: 'w', minSequence: 1 } } })).toMatch(/"minSequence" must be an integer from 2 to 64/);
    expect(problem({ bert: { inputs: { $why: 'w', maxBatch: 0 } } })).toMatch(/"maxBatch" must be an integer from 1 to 8/);
    expect(problem({ bert: { inputs: { $why: 'w', everyModality: false } } })).toMatch(/"everyModality" must be true/);
    expect(problem({ bert: { tolerance: [{ backend: 'onnx', dtype: 'float32', atol: 1e-3, rtol: 1e-3, reason: 'r' }] } }))
      .toMatch(/rows\.bert\.tolerance\[0\] \(onnx float32\): lacks 'scaleTol'/);
    expect(problem({ bert: { tolerance: [{ backend: 'onnx', dtype: 'float8', atol: 1e-3, rtol: 1e-3, scaleTol: 0, reason: 'r' }] } }))
      .toMatch(/'dtype' must be one of float16/);
    expect(problem({ bert: { defaultModels: [{ id: 'tiny-bert', class: 'BertModel', task: 'feature-extraction', model_type: 'bert' }] } }))
      .toMatch(/rows\.bert\.defaultModels\[0\] \(tiny-bert\): unknown field "model_type"; .*its model type is the row's key/);
    const model = { id: 'tiny-x', class: 'BertModel', task: 'feature-extraction' };
    expect(problem({ bert: { defaultModels: [model] }, roberta: { defaultModels: [model] } })).toMatch(/repeats id 'tiny-x' \(also in row bert\)/);
    expect(problem({ bert: {} })).toMatch(/rows\.bert\.is empty/);
  });

  it('finds the line of each row and of each entry of its lists', () => {
    const rows = { gpt2: { expect: [skip, { ...skip, modes: ['generate'] }] } };
    const lines = jsonLines(text(rows));
    const written = text(rows).split('\n');
    expect(written[lines.get('rows.gpt2')! - 1]).toContain('"gpt2": {');
    expect(lines.get('rows.gpt2.expect.1')! > lines.get('rows.gpt2.expect.0')!).toBe(true);
    expect(written[lines.get('rows.gpt2.expect.1')! - 1].trim()).toBe('{');
  });

  it('covers every default model, in row order, with the row key as its model type', () => {
    const entries = loadModelEntries();
    expect(entries.map((e) => e.id)).toContain('tiny-bert');
    const rows = loadArchitectures().rows;
    for (const entry of entries) expect(rows[entry.model_type]?.defaultModels?.map((m) => m.id), entry.id).toContain(entry.id);
    expect(defaultModels(parse({ bert: { defaultModels: [{ id: 'tiny-b', class: 'BertModel', task: 'feature-extraction' }] } })))
      .toEqual([{ seed: 0, config: {}, id: 'tiny-b', class: 'BertModel', model_type: 'bert', task: 'feature-extraction' }]);
  });

  it("a row's tolerance overrides the generic rows for its architecture only", () => {
    const rows = parse({ bert: { tolerance: [{ backend: '*', dtype: 'float32', atol: 1e-2, rtol: 0, scaleTol: 0, reason: 'measured' }] } });
    const overrides = new Map(Object.entries(rows.rows).map(([type, row]) => [type, row.tolerance!]));
    expect(toleranceFor('onnx', 'float32', 'bert', overrides)).toEqual({ atol: 1e-2, rtol: 0, scaleTol: 0 });
    expect(toleranceFor('onnx', 'float32', 'gpt2', overrides)).toEqual(toleranceFor('onnx', 'float32'));
    expect(toleranceFor('onnx', 'float16', 'bert', overrides)).toEqual(toleranceFor('onnx', 'float16')); // no row for the dtype: generic
  });

  it('reads an expectation from a row: the type by default, narrowed by class, widened by type', async () => {
    const architectures = loadArchitectures(await rowsFile({
      bert: { expect: [{ ...skip, kind: 'xfail', error: 'Guard failed' }] },
      gpt2: { expect: [{ ...skip, class: 'GPT2LMHeadModel', modes: ['generate'] }] },
      mamba: { expect: [{ ...skip, type: ['mamba', 'jamba'] }] },
    }));
    const entries = loadExpectations(architectures, known);
    const job = (cls: string, type: string, mode = 'dynamic') => ({ model: { class: cls, model_type: type }, backend: 'executorch', mode });
    expect(findSkip(entries, job('BertModel', 'bert'), 'baseline')).toMatchObject({ kind: 'xfail', types: ['bert'], line: 5 });
    expect(findSkip(entries, job('GPT2LMHeadModel', 'gpt2', 'generate'), 'baseline')).toMatchObject({ classes: ['GPT2LMHeadModel'] });
    expect(findSkip(entries, job('JambaForCausalLM', 'jamba'), 'baseline')).toMatchObject({ types: ['mamba', 'jamba'] });
    expect(findSkip(entries, job('GPT2LMHeadModel', 'gpt2'), 'baseline')).toBeUndefined();
  });

  it('checks expectations against the catalog and the row, naming row and entry', async () => {
    const error = (rows: unknown) => {
      try {
        loadExpectations(parse(rows), known);
      } catch (e) {
        expect(e).toBeInstanceOf(SkipListError);
        return (e as Error).message;
      }
      return '';
    };
    expect(error({ bert: { expect: [{ ...skip, class: 'GPT2LMHeadModel' }] } })).toMatch(/rows\.bert\.expect\[0\] \(GPT2LMHeadModel\): class 'GPT2LMHeadModel' is not of model type 'bert'.*move the entry to that row/);
    expect(error({ mamba: { expect: [{ ...skip, type: ['jamba'] }] } })).toMatch(/"type" lists jamba but not the row's own type 'mamba'/);
    expect(error({ bert: { expect: [{ ...skip, class: 'BertModel', type: 'bert' }] } })).toMatch(/has both "class" and "type"/);
    expect(error({ bert: { expect: [{ ...skip, link: undefined }] } })).toMatch(/has no upstream link/);
    expect(error({ bert: { expect: [{ ...skip, kind: 'xfail', error: '(' }] } })).toMatch(/"error" is not a valid regular expression/);
    expect(error({ bert: { expect: [{ ...skip, pins: 'nightly' }] } })).toMatch(/pin set 'nightly' has no pins\/nightly\.txt/);
    expect(error({ llamaa: { expect: [skip] } })).toMatch(/rows\.llamaa: 'llamaa' is not a model type of the pinned transformers/);
  });

  it("the repository's rows hold the expectations, and only tiny-config and input fields key the recipe", () => {
    const { exportSkip } = loadSkipLists(undefined, undefined);
    expect(exportSkip.every((e) => e.file.endsWith('architectures.json'))).toBe(true);
    expect(exportSkip.length).toBeGreaterThan(0);
    const withSkip = parse({ bert: { tinyConfig: { $why: 'w', hidden_size: 8 }, expect: [skip] } });
    const without = parse({ bert: { tinyConfig: { $why: 'w', hidden_size: 8 } } });
    expect(JSON.stringify(recipeData(withSkip))).toBe(JSON.stringify(recipeData(without)));
    expect(JSON.stringify(toleranceData(withSkip))).toBe(JSON.stringify(toleranceData(without)));
  });

  it('`export-sweep list --skips` shows every expectation with its upstream link and line', () => {
    const out = execFileSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [join(REPO_ROOT, 'harness', 'cli', 'main.ts'), 'list', '--skips'], { encoding: 'utf8' });
    const { exportSkip } = loadSkipLists(undefined, undefined);
    for (const entry of exportSkip) expect(out).toContain(`${entry.link}  `);
    expect(out).toMatch(/^skip +type mamba,jamba,zamba +all +dynamic +.*architectures\.json:\d+$/m);
    expect(out).toContain(`${exportSkip.length} expectations in the architecture rows`);
  }, 60_000);
});
