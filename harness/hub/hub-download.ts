// Downloads a model repo into the Python hub cache layout (models--org--name/{blobs,snapshots,refs}),
// so transformers' from_pretrained loads it offline, and refuses what could run code or write
// outside the cache: unsafe paths, pickle weights, auto_map without trust, blobs that fail their hash.
//
// It drives @huggingface/hub's downloadFileToCacheDir file by file rather than snapshotDownload,
// which does the same loop but (in 2.17) takes no file filter, so it would fetch pickle weights, and
// always asks the hub for the revision and the listing, even for a commit already in the cache.
// A branch or tag costs one request (its commit) before a cached snapshot is used, since it may have
// moved; a full commit costs none. Every request has its own deadline (hub-fetch.ts).
// At most HUB_DOWNLOADS_AT_ONCE repos download at a time in a process (p-limit): a sweep asks for
// every model's checkpoint at once, and twenty weight downloads sharing one line would each crawl
// past its per-chunk deadline; bounded, the first checkpoints arrive early and their jobs start.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { downloadFileToCacheDir, listFiles, modelInfo, type ListFileEntry } from '@huggingface/hub';
import pLimit from 'p-limit';
import { hubFetch, HubTimeoutError, hubTimeoutMs } from './hub-fetch.js';

export interface DownloadRepoOptions {
  /** `org/name` on the hub. */
  repo: string;
  /** Branch, tag or full 40-hex commit; default `main`. Only a full commit can be served from the cache alone. */
  revision?: string;
  /** Passed to every @huggingface/hub call (it reads no HF_ENDPOINT). */
  hubUrl: string;
  /** Root of the hub cache (the folder that holds models--org--name). */
  cacheDir: string;
  /** Allow a config with `auto_map`, which makes transformers import the repo's own Python code. */
  trustRemoteCode?: boolean;
  /** Deadline of each hub request (headers, then each body chunk); default hubTimeoutMs(). */
  timeoutMs?: number;
  /** Aborts every pending hub request (a sweep that is closing). */
  signal?: AbortSignal;
}

export class HubDownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HubDownloadError';
  }
}

export type HashKind = 'sha256' | 'git-sha1';

/** One file of a verified snapshot and the hash its blob must have. */
interface SnapshotFile {
  path: string;
  kind: HashKind;
  hash: string;
}

/** Written after a snapshot is complete and verified: lets a full-commit download skip the hub. */
interface Manifest {
  repo: string;
  sha: string;
  files: SnapshotFile[];
}

const COMMIT = /^[0-9a-f]{40}$/;
const REPO_ID = /^(?:[\w.-]+\/)?[\w.-]+$/;
const SAFETENSORS = /\.safetensors$/;
// Pickle checkpoints run code when loaded (torch.load), so they are never even fetched.
const PICKLE = /\.(bin|pt|pth|ckpt|pkl|pickle)$/;
// Top-level configs whose `auto_map` makes transformers import code from the repo.
const REMOTE_CODE_CONFIGS = ['config.json', 'tokenizer_config.json', 'preprocessor_config.json', 'processor_config.json'];
// Beside snapshots/ and blobs/, like Python's own .no_exist/: the hub cache scanners skip it.
const MANIFEST_DIR = '.export-sweep';

/** Repos whose files are being fetched at once (asking a branch's commit included); a cached full commit takes no slot. */
export const HUB_DOWNLOADS_AT_ONCE = 4;
const downloads = pLimit(HUB_DOWNLOADS_AT_ONCE);

/** How many downloads hold a slot and how many wait for one. */
export function hubDownloadQueue(): { active: number; waiting: number } {
  return { active: downloads.activeCount, waiting: downloads.pendingCount };
}

/** Download (or find in the cache) `repo` at `revision`; returns the snapshot folder to load from. */
export async function downloadRepo(options: DownloadRepoOptions): Promise<string> {
  const { repo, cacheDir } = options;
  const revision = options.revision ?? 'main';
  if (!REPO_ID.test(repo) || repo.split('/').includes('..')) {
    throw new HubDownloadError(`repo id '${repo}' is not of the form org/name: pass the id as the hub shows it`);
  }
  checkRepoPath(repo, revision, 'revision');
  const storage = storageFolder(cacheDir, repo);

  if (COMMIT.test(revision)) {
    const manifest = await readManifest(storage, revision);
    if (manifest && (await allPresent(storage, manifest))) {
      return checkSnapshot(manifest, options, storage); // no request: a commit's files never change
    }
  }
  return downloads(() => {
    // a sweep closing while this waited for a slot: nothing to start
    options.signal?.throwIfAborted();
    return fetchRepo(options, revision, storage);
  });
}

/** downloadRepo's part that asks the hub: the commit, the listing, the files, each verified. */
async function fetchRepo(options: DownloadRepoOptions, revision: string, storage: string): Promise<string> {
  const { repo, hubUrl, cacheDir } = options;
  const fetch = hubFetch(hubUrl, options.timeoutMs ?? hubTimeoutMs(), options.signal);
  const sha = await resolveCommit(repo, revision, hubUrl, fetch);
  const cached = await readManifest(storage, sha);
  if (cached && (await allPresent(storage, cached))) {
    const snapshot = await checkSnapshot(cached, options, storage);
    if (revision !== sha) await writeAtomically(join(storage, 'refs', revision), sha);
    return snapshot; // the branch still points at a commit already here: no listing, no files
  }
  const listing: ListFileEntry[] = [];
  for await (const entry of listFiles({ repo, revision: sha, recursive: true, hubUrl, fetch })) listing.push(entry);
  const files = chooseFiles(repo, sha, listing);

  const manifest: Manifest = { repo, sha, files };
  const fetchAndVerify = async (file: SnapshotFile): Promise<void> => {
    await downloadFileToCacheDir({ repo, path: file.path, revision: sha, hubUrl, cacheDir, fetch });
    await verifyFile(manifest, file, options, storage);
  };
  // Configs first: a repo refused for remote code costs a few KB, not its weights.
  const configs = files.filter((file) => REMOTE_CODE_CONFIGS.includes(file.path));
  for (const file of configs) await fetchAndVerify(file);
  await checkRemoteCode(manifest, options, storage);
  for (const file of files.filter((candidate) => !configs.includes(candidate))) await fetchAndVerify(file);

  // Written only now, so neither a ref nor the manifest ever points at a half-downloaded snapshot.
  await writeAtomically(join(storage, MANIFEST_DIR, `${sha}.json`), JSON.stringify(manifest));
  if (revision !== sha) await writeAtomically(join(storage, 'refs', revision), sha);
  return join(storage, 'snapshots', sha);
}

/** The commit ``revision`` names now: one request, and never a guess from the cache, since a branch moves. */
async function resolveCommit(repo: string, revision: string, hubUrl: string, fetch: typeof globalThis.fetch): Promise<string> {
  let sha: string;
  try {
    sha = (await modelInfo({ name: repo, revision, hubUrl, additionalFields: ['sha'], fetch })).sha;
  } catch (error) {
    if (error instanceof HubTimeoutError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new HubDownloadError(
      `${repo}@${revision}: could not ask the hub at ${hubUrl} which commit '${revision}' is now (${why}): ` +
      'check --hub-url and that the hub is up, or name a full 40-hex commit to use a cached snapshot without asking',
    );
  }
  if (!COMMIT.test(sha)) throw new HubDownloadError(`${repo}@${revision}: the hub at ${hubUrl} answered commit '${sha}', not 40 hex digits: check hubUrl`);
  return sha;
}

/** The repo and commit of a snapshot folder that downloadRepo completed (it returns such folders),
 * else undefined: a snapshot's content is its commit, so it needs no hashing of its own. */
export async function snapshotCommit(dir: string): Promise<{ repo: string; sha: string } | undefined> {
  const parts = dir.split(sep);
  const sha = parts.at(-1) ?? '';
  if (!COMMIT.test(sha) || parts.at(-2) !== 'snapshots') return undefined;
  const manifest = await readManifest(parts.slice(0, -2).join(sep), sha);
  return manifest ? { repo: manifest.repo, sha } : undefined;
}

/** Re-hash every file of a snapshot that downloadRepo completed; throws naming the first bad one. */
export async function verifySnapshot(options: Pick<DownloadRepoOptions, 'repo' | 'cacheDir'> & { sha: string }): Promise<void> {
  const storage = storageFolder(options.cacheDir, options.repo);
  const manifest = await readManifest(storage, options.sha);
  if (!manifest) {
    throw new HubDownloadError(`${options.repo}@${options.sha}: no completed download under ${storage}: run downloadRepo for that commit first`);
  }
  for (const file of manifest.files) await verifyFile(manifest, file, options, storage);
}

/**
 * Which listed files to fetch, checked before anything is downloaded: every path must stay inside
 * the snapshot folder, weights must be safetensors, and pickle files are left on the hub.
 */
function chooseFiles(repo: string, sha: string, listing: readonly ListFileEntry[]): SnapshotFile[] {
  const paths = listing.filter((entry) => entry.type === 'file').map((entry) => entry.path);
  for (const path of paths) checkRepoPath(repo, path, 'file'); // files first: their names say more than a folder '..'
  for (const entry of listing) checkRepoPath(repo, entry.path, 'file');
  const pickles = paths.filter((path) => PICKLE.test(path));
  if (pickles.length > 0 && !paths.some((path) => SAFETENSORS.test(path))) {
    throw new HubDownloadError(
      `${repo}@${sha}: weights only as pickle (${pickles.join(', ')}), which runs code on load; use a revision or fork with model.safetensors`,
    );
  }
  return listing
    .filter((entry) => entry.type === 'file' && !PICKLE.test(entry.path))
    .map((entry) => {
      // The client files an LFS blob under its sha256 and any other file under its git blob sha1.
      if (entry.lfs) return { path: entry.path, kind: 'sha256' as const, hash: entry.lfs.oid };
      if (entry.oid) return { path: entry.path, kind: 'git-sha1' as const, hash: entry.oid };
      throw new HubDownloadError(`${repo}@${sha}: the listing gives no hash for ${entry.path}, so it cannot be verified: report it to the hub's maintainers`);
    });
}

/** A repo path (or revision, which names a file under refs/) must be relative with no `..`. */
function checkRepoPath(repo: string, path: string, what: 'file' | 'revision'): void {
  const segments = path.split(/[\\/]/);
  const absolute = path.startsWith('/') || path.startsWith('\\') || /^[a-zA-Z]:/.test(path);
  if (path === '' || absolute || segments.includes('..')) {
    throw new HubDownloadError(`${repo}: ${what} '${path}' is absolute or climbs out with '..', so it could write outside the cache: refusing the whole repo, do not use it`);
  }
}

async function checkSnapshot(manifest: Manifest, options: DownloadRepoOptions, storage: string): Promise<string> {
  for (const file of manifest.files) {
    checkRepoPath(manifest.repo, file.path, 'file'); // the manifest is a file on disk too
    await verifyFile(manifest, file, options, storage);
  }
  await checkRemoteCode(manifest, options, storage); // trust is per call, not per cached snapshot
  return join(storage, 'snapshots', manifest.sha);
}

/** The file must resolve to a blob inside the cache whose content matches the listed hash. */
async function verifyFile(manifest: Manifest, file: SnapshotFile, options: Pick<DownloadRepoOptions, 'cacheDir'>, storage: string): Promise<void> {
  const local = join(storage, 'snapshots', manifest.sha, ...file.path.split('/'));
  const real = await realpath(local).catch(() => {
    throw new HubDownloadError(`${manifest.repo}@${manifest.sha}: ${file.path} is missing from the cache (${local}): download the repo again`);
  });
  const root = await realpath(options.cacheDir);
  if (!real.startsWith(root + sep)) {
    throw new HubDownloadError(`${manifest.repo}@${manifest.sha}: ${file.path} resolves to ${real}, outside the cache ${root}: delete ${local} and download again`);
  }
  const actual = await hashFile(real, file.kind);
  if (actual !== file.hash) {
    throw new HubDownloadError(
      `${manifest.repo}@${manifest.sha}: ${file.path} is corrupted (blob ${real} has ${file.kind} ${actual}, the hub lists ${file.hash}): delete that blob and download again`,
    );
  }
}

async function checkRemoteCode(manifest: Manifest, options: DownloadRepoOptions, storage: string): Promise<void> {
  if (options.trustRemoteCode) return;
  for (const file of manifest.files.filter((candidate) => REMOTE_CODE_CONFIGS.includes(candidate.path))) {
    const path = join(storage, 'snapshots', manifest.sha, file.path);
    let config: unknown;
    try {
      config = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new HubDownloadError(`${manifest.repo}@${manifest.sha}: ${file.path} is not valid JSON (${(error as Error).message}): the repo is broken, pick another revision`);
    }
    if (config && typeof config === 'object' && 'auto_map' in config) {
      throw new HubDownloadError(
        `${manifest.repo}@${manifest.sha}: ${file.path} has auto_map, so loading it runs the repo's own Python code: pass --trust-remote-code (trustRemoteCode) only after reviewing that code`,
      );
    }
  }
}

/** sha256 (what an LFS oid is) or git's blob sha1 (what a plain file's oid is) of a file, streamed. */
export async function hashFile(path: string, kind: HashKind): Promise<string> {
  const hash = createHash(kind === 'sha256' ? 'sha256' : 'sha1');
  if (kind === 'git-sha1') hash.update(`blob ${(await stat(path)).size}\0`);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The Python hub's folder for a model repo: models--org--name. */
function storageFolder(cacheDir: string, repo: string): string {
  return join(cacheDir, `models--${repo.split('/').join('--')}`);
}

async function readManifest(storage: string, sha: string): Promise<Manifest | undefined> {
  const text = await readFile(join(storage, MANIFEST_DIR, `${sha}.json`), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const manifest = JSON.parse(text) as Manifest;
    return manifest.sha === sha && Array.isArray(manifest.files) ? manifest : undefined;
  } catch {
    return undefined; // a torn manifest only costs a round trip to the hub, which rewrites it
  }
}

async function allPresent(storage: string, manifest: Manifest): Promise<boolean> {
  for (const file of manifest.files) {
    const present = await stat(join(storage, 'snapshots', manifest.sha, ...file.path.split('/'))).then(() => true, () => false);
    if (!present) return false;
  }
  return true;
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const staging = `${path}.${process.pid}.tmp`;
  await writeFile(staging, text);
  await rename(staging, path);
}
