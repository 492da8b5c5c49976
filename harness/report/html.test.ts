// Report page names: two model ids that sanitise alike (two local: paths) overwrote each other's
// page, and the dashboard linked both rows to the survivor.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceEntry } from '../cli/selection.js';
import { newManifest, RunFolder } from '../results/run-folder.js';
import type { JobResult } from '../sweep/job-result.js';
import { fileName } from './html.js';
import { writeRunReport } from './write-report.js';

const ids = ['local:/models/tiny bert', 'local:/models/tiny_bert', 'local:/models/tiny?bert'];

describe('fileName', () => {
  it('is unique per model id and keeps ids that are already safe as they are', () => {
    const names = [...ids, 'tiny-bert', 'local_models_tiny_bert'].map(fileName);
    expect(new Set(names).size).toBe(names.length);
    expect(fileName('tiny-bert')).toBe('tiny-bert');
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(fileName(ids[0])).toBe(fileName(ids[0])); // stable, so links from older pages still resolve
  });
});

describe('writeRunReport', () => {
  it('writes one page per model even when their ids sanitise alike, and every dashboard link resolves to its own model', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'pages-')), 'run');
    const models = ids.map((id) => sourceEntry(id));
    const folder = new RunFolder(dir);
    const manifest = newManifest({ models, backends: ['dynamo'], modes: ['static'], shapes: 0, seed: 1 }, {});
    folder.writeManifest(manifest);
    for (const model of models) {
      const result: JobResult = {
        id: `${model.id}/dynamo/static`, model: model.id, modelClass: 'BertModel', backend: 'dynamo', mode: 'static', status: 'pass',
        durationsMs: { total: 1 }, shapes: [], finishedAt: new Date().toISOString(),
      };
      folder.store.append(result);
    }
    const written = writeRunReport(dir);
    expect(new Set(written.models).size).toBe(ids.length);
    const index = readFileSync(written.index, 'utf8');
    const links = [...index.matchAll(/<a class="model" href="([^"]+)">([^<]+)<\/a>/g)].map((m) => ({ href: m[1], text: m[2] }));
    expect(links).toHaveLength(ids.length);
    for (const { href, text } of links) {
      const page = join(dir, decodeURI(href.replace(/&amp;/g, '&')));
      expect(existsSync(page), href).toBe(true);
      expect(readFileSync(page.replace(/\.html$/, '.json'), 'utf8'), `${href} is ${text}'s page`).toContain(JSON.stringify(text.replace(/&amp;/g, '&')));
    }
    for (const id of ids) {
      const json = JSON.parse(readFileSync(join(dir, 'reports', `${fileName(id)}.json`), 'utf8')) as { model: string };
      expect(json.model).toBe(id);
    }
  });
});
