import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../python/paths.js';
import { filterCatalog, loadCatalog, type CatalogEntry } from './catalog.js';
import { loadModelEntries } from './default-models.js';
import { loadTinyOverrides } from './tiny-overrides.js';

let catalog: CatalogEntry[];
beforeAll(async () => {
  catalog = await loadCatalog();
});

describe('model catalog', () => {
  it('lists every class of the auto mappings with task, modality and generative flag', () => {
    expect(catalog.length).toBeGreaterThan(1000);
    const byClass = new Map(catalog.map((e) => [e.class, e]));
    expect(byClass.get('LlamaForCausalLM')).toMatchObject({ model_type: 'llama', task: 'text-generation', modality: 'text', generative: true });
    expect(byClass.get('WhisperForConditionalGeneration')).toMatchObject({ modality: 'audio', generative: true });
    expect(byClass.get('ViTForImageClassification')).toMatchObject({ task: 'image-classification', modality: 'vision', generative: false });
    expect(byClass.get('Qwen2VLForConditionalGeneration')).toMatchObject({ modality: 'multimodal', generative: true });
    expect(new Set(catalog.map((e) => e.class)).size).toBe(catalog.length);
  });

  it("the default set's generative flags (which decide its generate jobs) are the catalog's", () => {
    const byClass = new Map(catalog.map((e) => [e.class, e]));
    for (const entry of loadModelEntries()) expect(Boolean(entry.generative), entry.id).toBe(byClass.get(entry.class)!.generative);
  });

  it("names tasks as transformers' pipelines do, a class under its most specific task", () => {
    const byClass = new Map(catalog.map((e) => [e.class, e]));
    // Bart's conditional-generation head is also in the masked-LM table; it is a seq2seq generator
    expect(byClass.get('BartForConditionalGeneration')).toMatchObject({ task: 'text2text-generation', generative: true });
    expect(byClass.get('BartForConditionalGeneration')!.tasks).toContain('fill-mask');
    expect(byClass.get('BertModel')).toMatchObject({ task: 'feature-extraction' });
    expect(byClass.get('ViTModel')).toMatchObject({ task: 'image-feature-extraction', modality: 'vision' });
    expect(byClass.get('T5EncoderModel')).toMatchObject({ task: 'feature-extraction' }); // the text-encoding table
    expect(byClass.get('Wav2Vec2ForCTC')).toMatchObject({ task: 'automatic-speech-recognition', generative: false });
    expect(byClass.get('WhisperForConditionalGeneration')).toMatchObject({ task: 'automatic-speech-recognition', generative: true });
    const tasks = new Set(catalog.flatMap((e) => e.tasks));
    for (const table of ['causal-lm', 'masked-lm', 'text-encoding', 'seq-to-seq-causal-lm', 'base', 'ctc']) expect(tasks.has(table), table).toBe(false);
  });

  it("the default set's tasks are the catalog's, so --task picks what list --default shows", () => {
    const byClass = new Map(catalog.map((e) => [e.class, e]));
    for (const entry of loadModelEntries()) expect(entry.task, entry.id).toBe(byClass.get(entry.class)!.task);
  });

  it('filters by family, task, modality and a glob on the class name', () => {
    expect(filterCatalog(catalog, { family: 'llama', pattern: '*ForCausalLM' }).map((e) => e.class)).toEqual(['LlamaForCausalLM']);
    expect(filterCatalog(catalog, { task: 'image-classification' }).every((e) => e.tasks.includes('image-classification'))).toBe(true);
    expect(filterCatalog(catalog, { modality: 'audio' }).length).toBeGreaterThan(20);
    expect(filterCatalog(catalog, { pattern: 'bert?odel' }).map((e) => e.class)).toContain('BertModel');
  });

  it('`export-sweep list` prints the classes and how many there are', () => {
    const out = execFileSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [join(REPO_ROOT, 'harness', 'cli', 'main.ts'), 'list', '--family', 'gpt2'], { encoding: 'utf8' });
    expect(out).toMatch(/^GPT2LMHeadModel\s+gpt2\s+text-generation\s+text\s+generative$/m);
    expect(out).toMatch(new RegExp(`^${catalog.length} model classes in transformers' auto mappings \\(\\d+ shown\\)$`, 'm'));
  });

  it('rejects a tiny-config row for a model type the pinned transformers lacks, naming file, line and row', () => {
    const types = new Set(catalog.map((e) => e.model_type));
    expect(() => loadTinyOverrides(undefined, types)).not.toThrow();
    expect(() => loadTinyOverrides(undefined, new Set(['llama']))).toThrow(/architectures\.json:\d+: rows\.diffllama\.tinyConfig: no model type 'diffllama'/);
  });
});
