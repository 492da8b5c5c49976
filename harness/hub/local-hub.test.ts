import { mkdir, mkdtemp, open, readdir, readFile, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileDownloadInfo, listFiles, modelInfo, pathsInfo } from '@huggingface/hub';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeSafetensors } from '../tensors/safetensors.js';
import { downloadRepo, hashFile, HUB_DOWNLOADS_AT_ONCE, hubDownloadQueue, verifySnapshot } from './hub-download.js';
import { startLocalHub, type LocalHub } from './local-hub.js';

const CONFIG = { model_type: 'bert', hidden_size: 3, vocab_size: 4 };

async function writeCheckpoint(dir: string, config: object = CONFIG): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  await writeSafetensors(join(dir, 'model.safetensors'), {
    'embeddings.weight': { dtype: 'float32', shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => i / 7) },
  });
  await mkdir(join(dir, 'tokenizer'), { recursive: true });
  await writeFile(join(dir, 'tokenizer', 'vocab.txt'), '[PAD]\n[UNK]\nhello\nworld\n');
  await writeFile(join(dir, 'README.md'), ''); // an empty file has no byte range to answer `Range: bytes=0-0` with
}

describe('local hub and downloadRepo', () => {
  let root: string;
  let hub: LocalHub;
  const cacheDir = async () => mkdtemp(join(tmpdir(), 'hub-cache-'));

  beforeAll(async () => {
    vi.spyOn(console, 'debug').mockImplementation(() => undefined); // @huggingface/hub logs every file it downloads
    root = await mkdtemp(join(tmpdir(), 'local-hub-'));
    await writeCheckpoint(join(root, 'org', 'tiny'));
    await writeCheckpoint(join(root, 'org', 'escape'));
    await writeCheckpoint(join(root, 'org', 'custom-code'), { ...CONFIG, auto_map: { AutoModel: 'modeling_custom.CustomModel' } });
    await writeFile(join(root, 'org', 'custom-code', 'modeling_custom.py'), 'from transformers import BertModel\n\nclass CustomModel(BertModel):\n    pass\n');
    await mkdir(join(root, 'org', 'pickle-only'), { recursive: true });
    await writeFile(join(root, 'org', 'pickle-only', 'config.json'), JSON.stringify(CONFIG));
    await writeFile(join(root, 'org', 'pickle-only', 'pytorch_model.bin'), 'not really a pickle');
    await writeCheckpoint(join(root, 'org', 'mixed'));
    await writeFile(join(root, 'org', 'mixed', 'pytorch_model.bin'), 'not really a pickle');
    hub = await startLocalHub(root, { extraListedPaths: { 'org/escape': ['../../etc/passwd'] } });
  });
  afterAll(async () => {
    await hub?.close();
    vi.restoreAllMocks();
  });

  it('answers the routes @huggingface/hub reads', async () => {
    const info = await modelInfo({ name: 'org/tiny', revision: 'main', hubUrl: hub.url, additionalFields: ['sha', 'filePaths'] });
    expect(info.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(info.filePaths.sort()).toEqual(['README.md', 'config.json', 'model.safetensors', 'tokenizer/vocab.txt']);
    const again = await modelInfo({ name: 'org/tiny', revision: info.sha, hubUrl: hub.url, additionalFields: ['sha'] });
    expect(again.sha).toBe(info.sha); // the same folder always gets the same commit

    const tree = [];
    for await (const entry of listFiles({ repo: 'org/tiny', revision: info.sha, recursive: true, hubUrl: hub.url })) tree.push(entry);
    const weights = await readFile(join(root, 'org', 'tiny', 'model.safetensors'));
    expect(tree.find((entry) => entry.path === 'model.safetensors')).toMatchObject({
      type: 'file',
      size: weights.byteLength,
      lfs: { oid: await hashFile(join(root, 'org', 'tiny', 'model.safetensors'), 'sha256'), size: weights.byteLength },
    });
    expect(tree.find((entry) => entry.path === 'tokenizer')).toMatchObject({ type: 'directory' });

    const [config] = await pathsInfo({ repo: 'org/tiny', paths: ['config.json'], revision: 'main', hubUrl: hub.url, expand: true });
    expect(config.oid).toBe(await hashFile(join(root, 'org', 'tiny', 'config.json'), 'git-sha1'));
    expect(config.lastCommit.id).toBe(info.sha);

    const download = await fileDownloadInfo({ repo: 'org/tiny', path: 'model.safetensors', revision: info.sha, hubUrl: hub.url });
    expect(download).toMatchObject({ size: weights.byteLength, etag: `"${tree.find((entry) => entry.path === 'model.safetensors')?.lfs?.oid}"` });
    expect(await fileDownloadInfo({ repo: 'org/tiny', path: 'missing.json', hubUrl: hub.url })).toBeNull(); // 404 + EntryNotFound
  });

  it('downloads a checkpoint byte for byte, then serves the commit from the cache with no request', async () => {
    const cache = await cacheDir();
    const snapshot = await downloadRepo({ repo: 'org/tiny', hubUrl: hub.url, cacheDir: cache });
    const sha = snapshot.split('/').at(-1)!;
    expect(snapshot).toBe(join(cache, 'models--org--tiny', 'snapshots', sha));
    for (const path of ['README.md', 'config.json', 'model.safetensors', 'tokenizer/vocab.txt']) {
      expect(await readFile(join(snapshot, path))).toEqual(await readFile(join(root, 'org', 'tiny', path)));
    }
    // The Python hub layout, so from_pretrained(snapshot) and HF_HUB_OFFLINE=1 both find it.
    expect(await readFile(join(cache, 'models--org--tiny', 'refs', 'main'), 'utf8')).toBe(sha);
    expect(await readdir(join(cache, 'models--org--tiny', 'blobs'))).toContain(await hashFile(join(root, 'org', 'tiny', 'model.safetensors'), 'sha256'));

    const before = hub.requests;
    expect(await downloadRepo({ repo: 'org/tiny', revision: sha, hubUrl: hub.url, cacheDir: cache })).toBe(snapshot);
    expect(hub.requests).toBe(before);

    // A branch can move, so it is always asked about, once: its commit is here already, so no listing or file.
    expect(await downloadRepo({ repo: 'org/tiny', revision: 'main', hubUrl: hub.url, cacheDir: cache })).toBe(snapshot);
    expect(hub.requests - before).toBe(1);
  });

  it('follows a branch that moved to a new commit, and names the hub when it cannot ask it', async () => {
    const cache = await cacheDir();
    const repoDir = join(root, 'org', 'moving');
    await writeCheckpoint(repoDir);
    const moving = await startLocalHub(root);
    try {
      const first = await downloadRepo({ repo: 'org/moving', hubUrl: moving.url, cacheDir: cache });
      await writeCheckpoint(repoDir, { ...CONFIG, hidden_size: 6 }); // a second commit on main
      const second = await downloadRepo({ repo: 'org/moving', hubUrl: moving.url, cacheDir: cache });
      expect(second).not.toBe(first);
      expect(JSON.parse(await readFile(join(second, 'config.json'), 'utf8')).hidden_size).toBe(6);
      expect(await readFile(join(cache, 'models--org--moving', 'refs', 'main'), 'utf8')).toBe(second.split('/').at(-1));
    } finally {
      await moving.close();
    }
    // The hub is gone: a branch cannot be trusted to the cached snapshot, a full commit can.
    await expect(downloadRepo({ repo: 'org/moving', hubUrl: moving.url, cacheDir: cache })).rejects.toThrow(
      new RegExp(`org/moving@main: could not ask the hub at ${moving.url} which commit 'main' is now .*name a full 40-hex commit`),
    );
    const sha = (await readFile(join(cache, 'models--org--moving', 'refs', 'main'), 'utf8'));
    expect(await downloadRepo({ repo: 'org/moving', revision: sha, hubUrl: moving.url, cacheDir: cache })).toBe(join(cache, 'models--org--moving', 'snapshots', sha));
  });

  it('downloads at most HUB_DOWNLOADS_AT_ONCE repos at a time; the rest wait their turn and all arrive', async () => {
    const many = HUB_DOWNLOADS_AT_ONCE + 2;
    const caches = await Promise.all(Array.from({ length: many }, () => cacheDir()));
    let most = 0;
    const watch = setInterval(() => { most = Math.max(most, hubDownloadQueue().active); }, 1);
    try {
      const started = caches.map((cache) => downloadRepo({ repo: 'org/tiny', hubUrl: hub.url, cacheDir: cache }));
      await new Promise((resolve) => setImmediate(resolve));
      expect(hubDownloadQueue()).toEqual({ active: HUB_DOWNLOADS_AT_ONCE, waiting: many - HUB_DOWNLOADS_AT_ONCE });
      const snapshots = await Promise.all(started);
      expect(snapshots.map((s, i) => s.startsWith(caches[i]))).toEqual(caches.map(() => true));
    } finally {
      clearInterval(watch);
    }
    expect(most).toBeLessThanOrEqual(HUB_DOWNLOADS_AT_ONCE);
    expect(hubDownloadQueue()).toEqual({ active: 0, waiting: 0 });
  });

  it('a download still waiting for its turn when the sweep closes starts nothing', async () => {
    const closing = new AbortController();
    const caches = await Promise.all(Array.from({ length: HUB_DOWNLOADS_AT_ONCE + 1 }, () => cacheDir()));
    const started = caches.map((cache) => downloadRepo({ repo: 'org/tiny', hubUrl: hub.url, cacheDir: cache, signal: cache === caches.at(-1) ? closing.signal : undefined }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(hubDownloadQueue().waiting).toBe(1);
    closing.abort(new Error('the sweep is closing'));
    await expect(started.at(-1)).rejects.toThrow('the sweep is closing');
    await Promise.all(started.slice(0, -1));
    expect(await readdir(caches.at(-1)!)).toEqual([]);
  });

  it('names a corrupted blob in the cache on the next download and on verify', async () => {
    const cache = await cacheDir();
    const snapshot = await downloadRepo({ repo: 'org/tiny', hubUrl: hub.url, cacheDir: cache });
    const sha = snapshot.split('/').at(-1)!;
    const blob = join(cache, 'models--org--tiny', 'blobs', await hashFile(join(snapshot, 'model.safetensors'), 'sha256'));
    const handle = await open(blob, 'r+');
    const size = (await stat(blob)).size;
    await handle.write(Buffer.from([0xff]), 0, 1, size - 1); // flip the last weight byte, same size
    await handle.close();

    await expect(downloadRepo({ repo: 'org/tiny', revision: sha, hubUrl: hub.url, cacheDir: cache })).rejects.toThrow(/model\.safetensors is corrupted/);
    await expect(downloadRepo({ repo: 'org/tiny', revision: 'main', hubUrl: hub.url, cacheDir: cache })).rejects.toThrow(/model\.safetensors is corrupted/);
    await expect(verifySnapshot({ repo: 'org/tiny', sha, cacheDir: cache })).rejects.toThrow(blob);
  });

  it('refuses a snapshot file that resolves outside the cache', async () => {
    const cache = await cacheDir();
    const snapshot = await downloadRepo({ repo: 'org/tiny', hubUrl: hub.url, cacheDir: cache });
    await rm(join(snapshot, 'config.json'));
    await symlink(join(root, 'org', 'tiny', 'config.json'), join(snapshot, 'config.json')); // same bytes, wrong place
    await expect(downloadRepo({ repo: 'org/tiny', revision: snapshot.split('/').at(-1), hubUrl: hub.url, cacheDir: cache })).rejects.toThrow(
      /org\/tiny@[0-9a-f]{40}: config\.json resolves to .* outside the cache/,
    );
  });

  it('refuses a listing with a path that climbs out of the snapshot, before downloading anything', async () => {
    const cache = await cacheDir();
    await expect(downloadRepo({ repo: 'org/escape', hubUrl: hub.url, cacheDir: cache })).rejects.toThrow(/org\/escape: file '\.\.\/\.\.\/etc\/passwd' is absolute or climbs out/);
    expect(await readdir(join(cache, 'models--org--escape')).catch(() => [])).not.toContain('blobs');
  });

  it('refuses auto_map unless trustRemoteCode, and fetches no weights when it refuses', async () => {
    const cache = await cacheDir();
    await expect(downloadRepo({ repo: 'org/custom-code', hubUrl: hub.url, cacheDir: cache })).rejects.toThrow(/config\.json has auto_map.*--trust-remote-code/);
    expect(await readdir(join(cache, 'models--org--custom-code', 'blobs'))).toHaveLength(1); // config.json only
    const snapshot = await downloadRepo({ repo: 'org/custom-code', hubUrl: hub.url, cacheDir: cache, trustRemoteCode: true });
    expect(JSON.parse(await readFile(join(snapshot, 'config.json'), 'utf8'))).toHaveProperty('auto_map');
    // Trust is asked on every call, also when the snapshot is already cached.
    await expect(downloadRepo({ repo: 'org/custom-code', revision: snapshot.split('/').at(-1), hubUrl: hub.url, cacheDir: cache })).rejects.toThrow(/auto_map/);
  });

  it('with trustRemoteCode fetches the repo code into the cache, verified like every blob', async () => {
    const cache = await cacheDir();
    const snapshot = await downloadRepo({ repo: 'org/custom-code', hubUrl: hub.url, cacheDir: cache, trustRemoteCode: true });
    const code = join(snapshot, 'modeling_custom.py');
    expect(await readFile(code)).toEqual(await readFile(join(root, 'org', 'custom-code', 'modeling_custom.py')));
    const blob = await realpath(code);
    expect(blob).toBe(join(await realpath(cache), 'models--org--custom-code', 'blobs', await hashFile(code, 'git-sha1')));

    // Code that changed in the cache is what would run: it must be caught like a corrupted weight.
    await writeFile(blob, 'import os\nos.system("echo pwned")\n');
    const sha = snapshot.split('/').at(-1)!;
    await expect(downloadRepo({ repo: 'org/custom-code', revision: sha, hubUrl: hub.url, cacheDir: cache, trustRemoteCode: true }))
      .rejects.toThrow(/modeling_custom\.py is corrupted/);
    await expect(verifySnapshot({ repo: 'org/custom-code', sha, cacheDir: cache })).rejects.toThrow(/modeling_custom\.py is corrupted/);
  });

  it('refuses a repo whose only weights are pickle, and never fetches pickle beside safetensors', async () => {
    const cache = await cacheDir();
    await expect(downloadRepo({ repo: 'org/pickle-only', hubUrl: hub.url, cacheDir: cache })).rejects.toThrow(/org\/pickle-only@[0-9a-f]{40}: weights only as pickle \(pytorch_model\.bin\)/);
    const snapshot = await downloadRepo({ repo: 'org/mixed', hubUrl: hub.url, cacheDir: cache });
    expect((await readdir(snapshot)).sort()).toEqual(['README.md', 'config.json', 'model.safetensors', 'tokenizer']);
  });
});
