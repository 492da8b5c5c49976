// The content part of the cache keys, on real folders: any change to what the loader reads is a new
// hash, a hub snapshot is its commit, and the keys built from it change with it.
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadModelEntries, selectModels } from '../catalog/default-models.js';
import { downloadRepo } from '../hub/hub-download.js';
import { startLocalHub, type LocalHub } from '../hub/local-hub.js';
import { artifactKey, exporterSource, exportRequest } from './artifact-cache.js';
import { sourceHash, WORKER } from './source-hash.js';
import { checkpointContent } from './checkpoint-content.js';
import { expandJobs } from './jobs.js';
import { cachedResult, resultKey, storeResult } from './result-cache.js';
import type { JobResult } from './job-result.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'checkpoint-content-'));
});

async function folder(name: string, config: object, weights: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  await writeFile(join(dir, 'model.safetensors'), weights);
  return dir;
}

describe('checkpoint content', () => {
  it('changes with the weights or the config, even at the same size and mtime, and not with unread files', async () => {
    const dir = await folder('local', { hidden_size: 4 }, 'weights-a');
    const first = await checkpointContent(dir);
    expect(first).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(await checkpointContent(dir)).toBe(first);

    await writeFile(join(dir, 'model.safetensors'), 'weights-b'); // same size
    const stamp = new Date('2026-01-01T00:00:00Z');
    await utimes(join(dir, 'model.safetensors'), stamp, stamp);
    const weights = await checkpointContent(dir);
    expect(weights).not.toBe(first);
    await writeFile(join(dir, 'model.safetensors'), 'weights-c');
    await utimes(join(dir, 'model.safetensors'), stamp, stamp); // same size and mtime as before: ctime still moves
    expect(await checkpointContent(dir)).not.toBe(weights);
    await writeFile(join(dir, 'model.safetensors'), 'weights-b');

    await writeFile(join(dir, 'config.json'), JSON.stringify({ hidden_size: 8 }));
    const config = await checkpointContent(dir);
    expect(config).not.toBe(weights);

    // pickle weights are never loaded, hidden files and sub-folders are not read by from_pretrained
    await writeFile(join(dir, 'pytorch_model.bin'), 'pickle');
    await writeFile(join(dir, '.notes'), 'x');
    await mkdir(join(dir, 'old-run'));
    await writeFile(join(dir, 'old-run', 'model.safetensors'), 'x');
    expect(await checkpointContent(dir)).toBe(config);
    await writeFile(join(dir, 'generation_config.json'), '{}');
    expect(await checkpointContent(dir)).not.toBe(config);
  });

  describe('of a hub snapshot', () => {
    let hub: LocalHub;
    beforeAll(async () => {
      vi.spyOn(console, 'debug').mockImplementation(() => undefined);
      await folder(join('hub', 'org', 'tiny'), { hidden_size: 4 }, 'weights-a');
      hub = await startLocalHub(join(root, 'hub'));
    });
    afterAll(async () => {
      await hub.close();
      vi.restoreAllMocks();
    });

    it('is its commit', async () => {
      const snapshot = await downloadRepo({ repo: 'org/tiny', hubUrl: hub.url, cacheDir: join(root, 'hub-cache') });
      expect(await checkpointContent(snapshot)).toBe(`hub:org/tiny@${snapshot.split('/').at(-1)}`);
    });
  });
});

describe('cache keys', () => {
  const [job] = expandJobs(selectModels(loadModelEntries(), ['tiny-bert']), ['dynamo'], ['static']);
  const request = exportRequest(job, undefined, undefined);

  it('differ by checkpoint content and by implementation', () => {
    const key = artifactKey(job, request, 'sha256:a');
    expect(artifactKey(job, request, 'sha256:a')).toBe(key);
    expect(artifactKey(job, request, 'sha256:b')).not.toBe(key);
    expect(artifactKey(job, exportRequest(job, undefined, 'upstream'), 'sha256:a')).not.toBe(key);
    expect(resultKey(artifactKey(job, request, 'sha256:b'), undefined)).not.toBe(resultKey(key, undefined));
  });

  it('hash each implementation by its own adapter, ours by hf_exporters alone (not the worker that drives it)', () => {
    const hfExporters = sourceHash(['exporters/hf_exporters'], ['.py']);
    expect(exporterSource(undefined)).toEqual({ ours: hfExporters, adapter: sourceHash(['harness/peers/ours_exporters.py'], ['.py']) });
    expect(exporterSource('upstream')).toMatchObject({ peer: 'upstream', adapter: sourceHash(['harness/peers/upstream_exporters.py'], ['.py']) });
    expect(WORKER.startsWith('exporters/')).toBe(false);
  });

  it('give back a stored pass with the run that produced it, and never keep a failure', async () => {
    const cacheDir = join(root, 'results');
    const pass: JobResult = {
      id: job.id, model: 'tiny-bert', modelClass: 'BertModel', backend: 'dynamo', mode: 'static', status: 'pass',
      durationsMs: { total: 1234 }, shapes: [], maxAbsError: 1e-6, modelContent: 'sha256:a', artifactPath: '/runs/a/jobs/x/artifact/model.pt2',
      finishedAt: '2026-11-30T09:00:00.000Z',
    };
    await storeResult('k-pass', pass, 'runs/a', cacheDir);
    const reused = cachedResult('k-pass', cacheDir)!;
    expect(reused).toMatchObject({ status: 'pass', resultCached: true, maxAbsError: 1e-6, artifactPath: pass.artifactPath, modelContent: 'sha256:a' });
    expect(reused.reusedFrom).toEqual({ runDir: join(process.cwd(), 'runs/a'), finishedAt: pass.finishedAt });
    expect(reused.finishedAt).not.toBe(pass.finishedAt);
    await storeResult('k-fail', { ...pass, status: 'mismatch' }, 'runs/a', cacheDir);
    expect(cachedResult('k-fail', cacheDir)).toBeUndefined();
    // an entry in the layout before producing runs were recorded is never trusted
    await writeFile(join(cacheDir, 'results', 'k-old.json'), JSON.stringify(pass));
    expect(cachedResult('k-old', cacheDir)).toBeUndefined();
    await rm(cacheDir, { recursive: true });
  });
});
