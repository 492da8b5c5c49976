// The catalog status: records made from real run folders, results judged again under today's
// expectation lists, stale records set aside, the ratchet; and the committed docs/catalog-status
// files, which must be what the command writes from the committed records and lists.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RunFolder, type RunManifest } from '../results/run-folder.js';
import { pinSetKey, pinSetName } from '../python/pin-set.js';
import { loadSkipList, loadSkipLists, type LoadedEntry } from '../skips/skip-list.js';
import type { JobResult } from '../sweep/job-result.js';
import { loadCatalog, type CatalogEntry } from './catalog.js';
import { readRecords, recordOf, writeRecord, type CatalogRecord } from './catalog-records.js';
import { catalogStatusMarkdown } from './catalog-status-markdown.js';
import { passedCounts, raisedRatchet, ratchetShortfalls, readRatchet, statusFromRecords, statusJson, statusPaths } from './catalog-status-files.js';
import { catalogStatus } from './catalog-status.js';

const CATALOG: CatalogEntry[] = ['BertModel', 'GPT2LMHeadModel', 'MambaModel', 'T5Model'].map((c) => ({
  class: c, model_type: c.replace(/(Model|LMHeadModel)$/, '').toLowerCase(), model_types: [c.replace(/(Model|LMHeadModel)$/, '').toLowerCase()],
  task: 'feature-extraction', tasks: ['feature-extraction'], modality: 'text', generative: c.startsWith('GPT2'),
}));

const result = (modelClass: string, backend: string, mode: JobResult['mode'], status: JobResult['status'], extra: Partial<JobResult> = {}): JobResult => ({
  id: `${modelClass}/${backend}/${mode}`, model: modelClass, modelClass, backend, mode, status,
  durationsMs: { total: 10 }, shapes: [], finishedAt: '2026-12-01T03:00:00.000Z', ...extra,
});
const failed = (modelClass: string, backend: string, mode: JobResult['mode'], type: string, message: string): JobResult =>
  result(modelClass, backend, mode, 'export-error', { stage: 'export', errorInfo: { stage: 'export', type, message } });

const record = (results: JobResult[], extra: Partial<CatalogRecord> = {}): CatalogRecord => ({
  schema: 1, pins: { name: 'baseline', key: 'k1' }, versions: { torch: '2.12.0' }, git: { commit: 'abc', dirty: false },
  implementation: 'ours', shard: '1/2', machine: { cpus: 2, memoryGb: 24 }, startedAt: '2026-12-01T02:00:00Z', endedAt: '2026-12-01T03:00:00Z',
  missing: [], results, ...extra,
});

async function entries(list: object[]): Promise<LoadedEntry[]> {
  const file = join(await mkdtemp(join(tmpdir(), 'status-list-')), 'list.json');
  await writeFile(file, JSON.stringify({ entries: list }));
  return loadSkipList(file, 'export-skip', CATALOG);
}
const LINK = 'https://github.com/pytorch/pytorch/issues/146835';
const xfailMamba = { kind: 'xfail', class: 'MambaModel', backends: ['onnx'], modes: ['dynamic'], error: 'Loop', reason: 'scan unrolled', todo: 'a scan', link: LINK, added: '2026-12-01', pins: 'baseline' };

describe('catalog status from records', () => {
  const ours = [
    result('BertModel', 'onnx', 'static', 'pass'), result('BertModel', 'onnx', 'dynamic', 'pass'),
    result('T5Model', 'onnx', 'static', 'broken', { stage: 'inputs', errorInfo: { stage: 'inputs', type: 'InputError', message: 'no recipe fits T5Model' } }),
    failed('MambaModel', 'onnx', 'dynamic', 'RuntimeError', 'Loop of 7 steps unrolled'),
    result('GPT2LMHeadModel', 'onnx', 'generate', 'pass'), result('GPT2LMHeadModel', 'dynamo', 'generate', 'mismatch'),
  ];

  it('rates are over every recorded job and over those that reached the exporter; generation per backend', () => {
    const s = catalogStatus({ records: [{ file: 'r.json', record: record(ours) }], catalog: CATALOG, expectations: [], pins: 'baseline', pinsKey: 'k1' });
    expect(s.classes).toBe(4);
    expect(s.classesRecorded).toBe(4);
    expect(s.rates['onnx/static']).toMatchObject({ all: 0.5, reached: 1, passed: 1, jobs: 2, reachedJobs: 1 });
    expect(s.rates['onnx/dynamic']).toMatchObject({ all: 0.5, reached: 0.5 });
    expect(s.generation).toEqual({ dynamo: 0, onnx: 1 });
    expect(s.unexplained).toBe(3);
    expect(s.unexplainedGroups.map((g) => [g.status, g.stage, g.error])).toContainEqual(['export-error', 'export', 'RuntimeError: Loop of N steps unrolled']);
  });

  it('an expectation added after the shard ran explains its failure; one removed stops explaining it', async () => {
    const list = await entries([xfailMamba]);
    const now = catalogStatus({ records: [{ file: 'r.json', record: record(ours) }], catalog: CATALOG, expectations: list, pins: 'baseline', pinsKey: 'k1' });
    expect(now.unexplained).toBe(2);
    expect(now.expectations).toEqual([{ name: 'MambaModel', kind: 'xfail', link: LINK, reason: 'scan unrolled', explained: 1, xpass: 0, unexpected: 0 }]);
    // the same job recorded as xfail, and the entry gone since: its own failure again
    const recorded = record([{ ...ours[3], status: 'xfail', probed: 'export-error', skip: { list: 'export-skip', file: 'x', line: 1, kind: 'xfail', class: 'MambaModel', reason: 'r', todo: 't', link: LINK } }]);
    const gone = catalogStatus({ records: [{ file: 'r.json', record: recorded }], catalog: CATALOG, expectations: [], pins: 'baseline', pinsKey: 'k1' });
    expect(gone.statuses['onnx/dynamic']).toEqual({ 'export-error': 1 });
    expect(gone.unexplained).toBe(1);
    // an entry whose pattern no longer matches the failure: its own status, counted as another error
    const other = await entries([{ ...xfailMamba, error: 'never this' }]);
    const unmatched = catalogStatus({ records: [{ file: 'r.json', record: record(ours) }], catalog: CATALOG, expectations: other, pins: 'baseline', pinsKey: 'k1' });
    expect(unmatched.expectations[0]).toMatchObject({ explained: 0, unexpected: 1 });
    expect(unmatched.unexplained).toBe(3);
  });

  it('a job skipped unrun counts only while an entry still skips it', async () => {
    const skipped = record([result('MambaModel', 'onnx', 'dynamic', 'skipped', { skip: { list: 'export-skip', file: 'x', line: 1, kind: 'skip', class: 'MambaModel', reason: 'r', todo: 't', link: LINK } })]);
    const still = await entries([{ ...xfailMamba, kind: 'skip', error: undefined }]);
    expect(catalogStatus({ records: [{ file: 'r.json', record: skipped }], catalog: CATALOG, expectations: still, pins: 'baseline', pinsKey: 'k1' }).rates['onnx/dynamic']).toMatchObject({ all: 0, jobs: 1 });
    expect(catalogStatus({ records: [{ file: 'r.json', record: skipped }], catalog: CATALOG, expectations: [], pins: 'baseline', pinsKey: 'k1' }).rates).toEqual({});
  });

  it('records of another environment of the pin set are listed, never counted; the newest result of a job wins', () => {
    const old = record([result('BertModel', 'onnx', 'static', 'pass')], { pins: { name: 'baseline', key: 'k0' } });
    const earlier = record([failed('BertModel', 'onnx', 'static', 'RuntimeError', 'boom')], { shard: '1/4' });
    const later = record([result('BertModel', 'onnx', 'static', 'pass', { finishedAt: '2026-12-01T04:00:00.000Z' })], { shard: null, endedAt: '2026-12-01T04:00:00Z', git: { commit: 'def', dirty: false } });
    const s = catalogStatus({ records: [{ file: 'old.json', record: old }, { file: 'a.json', record: earlier }, { file: 'b.json', record: later }], catalog: CATALOG, expectations: [], pins: 'baseline', pinsKey: 'k1' });
    expect(s.staleRecords).toEqual([{ file: 'old.json', pinsKey: 'k0' }]);
    expect(s.rates['onnx/static']).toMatchObject({ passed: 1, jobs: 1 });
    expect(s.commit).toBe('def');
    expect(s.date).toBe('2026-12-01');
  });

  it('ours against upstream on the jobs both ran', () => {
    const upstream = record([failed('BertModel', 'onnx', 'static', 'RuntimeError', 'x'), result('BertModel', 'onnx', 'dynamic', 'pass')], { implementation: 'upstream' });
    const s = catalogStatus({ records: [{ file: 'o.json', record: record(ours) }, { file: 'u.json', record: upstream }], catalog: CATALOG, expectations: [], pins: 'baseline', pinsKey: 'k1' });
    expect(s.upstream).toEqual({ jobs: 2, ours: 2, upstream: 1, oursOnly: ['BertModel/onnx/static'], upstreamOnly: [] });
    expect(s.rates['onnx/static'].jobs).toBe(2);
  });

  it('the ratchet holds passing jobs until the catalog is whole, is raised and never lowered', () => {
    const s = catalogStatus({ records: [{ file: 'r.json', record: record(ours) }], catalog: CATALOG, expectations: [], pins: 'baseline', pinsKey: 'k1' });
    expect(passedCounts(s)).toMatchObject({ 'onnx/static': 1, 'onnx/dynamic': 1, 'onnx/generate': 1, 'dynamo/generate': 0 });
    const ratchet = raisedRatchet(s, { baseline: { passed: { 'onnx/static': 0, 'dynamo/static': 5 } } });
    expect(ratchet.baseline).toMatchObject({ passed: { 'onnx/static': 1, 'dynamo/static': 5 }, rates: { 'onnx/static': { all: 0.5, reached: 1 } } });
    expect(ratchetShortfalls(s, ratchet)).toEqual(['baseline dynamo/static: 0 passing jobs, the ratchet holds 5']);
    const worse = catalogStatus({ records: [{ file: 'r.json', record: record(ours.filter((r) => r.modelClass !== 'BertModel')) }], catalog: CATALOG, expectations: [], pins: 'baseline', pinsKey: 'k1' });
    expect(ratchetShortfalls(worse, { baseline: { passed: {}, rates: { 'onnx/static': { all: 0.5, reached: 1 } } } })).toEqual([]); // a class unrecorded: rates not held yet
  });

  it('a run folder is recorded with its verdicts, error lines and the jobs it never finished', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'status-run-')), 'run');
    const folder = new RunFolder(dir);
    const long = failed('MambaModel', 'onnx', 'dynamic', 'RuntimeError', `Loop ${'x'.repeat(1000)}`);
    const manifest = { schema: 1, pins: { name: 'baseline', key: 'k1' }, versions: {}, git: { commit: 'abc', dirty: false }, machine: { hostname: 'h', platform: 'linux', arch: 'x64', cpus: 2, memoryGb: 24, node: 'v20' }, selection: { models: [], backends: ['onnx'], modes: ['static', 'dynamic'], shapes: 10, seed: 1, shard: { index: 3, count: 64 } }, jobs: ['BertModel/onnx/static', long.id, 'T5Model/onnx/static'], startedAt: '2026-12-01T02:00:00Z' } satisfies RunManifest;
    folder.writeManifest(manifest);
    folder.store.append({ ...ours[0], errorInfo: undefined });
    folder.store.append({ ...long, errorInfo: { ...long.errorInfo!, traceback: 'Traceback ...' } });
    const made = recordOf(dir);
    expect(made).toMatchObject({ shard: '3/64', implementation: 'ours', missing: ['T5Model/onnx/static'], endedAt: null });
    expect(made.results.map((r) => r.id)).toEqual(['BertModel/onnx/static', long.id]);
    expect(made.results[1].errorInfo!.message.length).toBeLessThan(410);
    expect(made.results[1].errorInfo).not.toHaveProperty('traceback');
    const records = join(dir, '..', 'records');
    expect(writeRecord(made, records)).toMatch(/baseline\/ours-shard-3-of-64\.json$/);
    expect(readRecords('baseline', records).map((r) => r.record)).toEqual([made]);
  });
});

describe('the committed catalog status', () => {
  let catalog: CatalogEntry[];
  beforeAll(async () => { catalog = await loadCatalog(); }, 300_000);

  it('is what `export-sweep catalog-status` writes from the committed records and today\'s expectation lists', () => {
    const status = statusFromRecords({ catalog, expectations: loadSkipLists(undefined, catalog).exportSkip, pins: pinSetName(), pinsKey: pinSetKey() });
    const paths = statusPaths(pinSetName());
    const fix = 'regenerate it: npx export-sweep catalog-status, and commit docs/catalog-status.*';
    expect(readFileSync(paths.json, 'utf8'), fix).toBe(statusJson(status));
    expect(readFileSync(paths.markdown, 'utf8'), fix).toBe(catalogStatusMarkdown(status));
  });

  it('carries the fields other tools read, and stays above the ratchet', () => {
    const status = JSON.parse(readFileSync(statusPaths(pinSetName()).json, 'utf8'));
    expect(status).toMatchObject({ pins: pinSetName(), classes: catalog.length });
    expect(typeof status.commit).toBe('string');
    for (const rate of Object.values(status.rates) as { all: number; reached: number }[]) {
      expect(rate.all).toBeGreaterThanOrEqual(0);
      expect(rate.reached).toBeLessThanOrEqual(1);
    }
    expect(ratchetShortfalls(status, readRatchet())).toEqual([]);
  });
});
