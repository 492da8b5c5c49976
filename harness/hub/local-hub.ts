// A stand-in for huggingface.co that serves model repos from a folder (`<root>/<org>/<name>/...`),
// so hub downloads are tested against a real HTTP server on 127.0.0.1 with no network.
// It answers the five routes @huggingface/hub 2.17 calls for snapshotDownload, downloadFileToCacheDir,
// listFiles, modelInfo and pathsInfo, with the headers it reads; a static file server is not enough
// (the client asks for `Range: bytes=0-0` to learn size and ETag, and files each blob by its oid).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';
import { hashFile } from './hub-download.js';

export interface LocalHubOptions {
  /**
   * Paths to add to a repo's listing (siblings, tree, paths-info) without a file behind them, keyed
   * by repo id: lets a test offer a hostile listing such as `../../etc/passwd`.
   */
  extraListedPaths?: Record<string, string[]>;
}

export interface LocalHub {
  /** Pass as `hubUrl` to every @huggingface/hub call. */
  readonly url: string;
  /** Requests received so far: a cached download must not add to it. */
  readonly requests: number;
  close(): Promise<void>;
}

interface HubFile {
  path: string;
  absolute: string | undefined; // undefined: listed only (extraListedPaths), never served
  size: number;
  lfs: boolean;
  /** The oid the client files the blob under: sha256 for an LFS file, git's blob sha1 otherwise. */
  hash: string;
}

interface RepoState {
  id: string;
  sha: string;
  files: HubFile[];
  lastModified: string;
}

// Files the Hub's default .gitattributes stores in LFS. The client files an LFS blob under its
// sha256 and any other file under its git blob sha1, so the split must match the real Hub's.
const LFS_FILE = /\.(safetensors|bin|pt|pth|ckpt|onnx|onnx_data|msgpack|h5|gguf|pkl|pickle|npy|npz|model|tflite|ot|pb|arrow|parquet|zip|gz|tar|zst)$/;
const LFS_MIN_BYTES = 10 * 1024 * 1024; // the Hub refuses plain git files above 10 MB
const REVISION_ALIASES = new Set(['main', 'HEAD']);

export async function startLocalHub(root: string, options: LocalHubOptions = {}): Promise<LocalHub> {
  let requests = 0;
  const hashes = new Map<string, { key: string; hash: string }>();

  async function loadRepo(id: string): Promise<RepoState | undefined> {
    const dir = join(root, ...id.split('/'));
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) return undefined;
    const files: HubFile[] = [];
    let newest = 0;
    for (const path of await walk(dir)) {
      const absolute = join(dir, ...path.split('/'));
      const fileStat = await stat(absolute);
      newest = Math.max(newest, fileStat.mtimeMs);
      // Hash once per (size, mtime): a real checkpoint is hundreds of MB and every request re-reads the repo.
      const lfs = LFS_FILE.test(path) || fileStat.size >= LFS_MIN_BYTES;
      const key = `${lfs}:${fileStat.size}:${fileStat.mtimeMs}`;
      let hashed = hashes.get(absolute);
      if (hashed?.key !== key) {
        hashed = { key, hash: await hashFile(absolute, lfs ? 'sha256' : 'git-sha1') };
        hashes.set(absolute, hashed);
      }
      files.push({ path, absolute, size: fileStat.size, lfs, hash: hashed.hash });
    }
    // The commit depends on names and contents only, so the same folder always gets the same sha.
    const sha = createHash('sha1').update(files.map((file) => `${file.path}\0${file.hash}\n`).join('')).digest('hex');
    for (const path of options.extraListedPaths?.[id] ?? []) {
      files.push({ path, absolute: undefined, size: 0, lfs: false, hash: gitBlobSha1('') });
    }
    return { id, sha, files, lastModified: new Date(newest).toISOString() };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://local-hub');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const api = parts[0] === 'api' && parts[1] === 'models';
    const [org, name, route, revision, ...rest] = api ? parts.slice(2) : parts;
    if (!org || !name || !route || !revision) return fail(response, 404, 'RouteNotFound', `local hub has no route ${url.pathname}`);
    // Segments are decoded, so %2E%2E or %2F could otherwise walk the server out of `root`.
    if ([org, name].some((part) => part === '.' || part === '..' || /[\\/]/.test(part))) {
      return fail(response, 404, 'RepoNotFound', `'${org}/${name}' is not a repo id`);
    }
    const repo = await loadRepo(`${org}/${name}`);
    if (!repo) return fail(response, 404, 'RepoNotFound', `repo ${org}/${name} is not under ${root}`);
    if (!REVISION_ALIASES.has(revision) && revision !== repo.sha) {
      return fail(response, 404, 'RevisionNotFound', `repo ${repo.id} has revisions main and ${repo.sha}, not ${revision}`);
    }

    if (api && route === 'revision' && request.method === 'GET') return json(response, modelInfoBody(repo));
    if (api && route === 'tree' && request.method === 'GET') {
      return json(response, treeEntries(repo, rest.join('/'), url.searchParams.get('recursive') === 'true'));
    }
    if (api && route === 'paths-info' && request.method === 'POST') {
      const body = JSON.parse((await readBody(request)) || '{}') as { paths?: string[] };
      const wanted = new Set(body.paths ?? []);
      const lastCommit = { id: repo.sha, title: 'local hub snapshot', date: repo.lastModified };
      return json(response, treeEntries(repo, '', true).filter((entry) => wanted.has(entry.path)).map((entry) => ({ ...entry, lastCommit })));
    }
    if (!api && route === 'resolve' && (request.method === 'GET' || request.method === 'HEAD')) {
      const path = rest.join('/');
      const file = repo.files.find((candidate) => candidate.path === path && candidate.absolute);
      if (!file?.absolute) return fail(response, 404, 'EntryNotFound', `repo ${repo.id} has no file ${path}`);
      return serveFile(request, response, repo, file as HubFile & { absolute: string });
    }
    return fail(response, 404, 'RouteNotFound', `local hub has no ${request.method} route ${url.pathname}`);
  }

  const server = createServer((request, response) => {
    requests++;
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) fail(response, 500, 'LocalHubError', String(error));
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections(); // fetch keeps connections alive; without this close() waits for them
      }),
  };
}

function modelInfoBody(repo: RepoState): unknown {
  return {
    _id: repo.sha.slice(0, 24),
    id: repo.id,
    modelId: repo.id,
    sha: repo.sha,
    private: false,
    gated: false,
    disabled: false,
    downloads: 0,
    likes: 0,
    tags: [],
    lastModified: repo.lastModified,
    siblings: repo.files.map((file) => ({ rfilename: file.path })),
  };
}

interface TreeEntry {
  type: 'file' | 'directory';
  path: string;
  oid: string;
  size: number;
  lfs?: { oid: string; size: number; pointerSize: number };
}

/** The Hub's tree listing: files and the folders between them, under `prefix`. */
function treeEntries(repo: RepoState, prefix: string, recursive: boolean): TreeEntry[] {
  const entries: TreeEntry[] = [];
  const folders = new Set<string>();
  for (const file of repo.files) {
    const segments = file.path.split('/');
    for (let depth = 1; depth < segments.length; depth++) folders.add(segments.slice(0, depth).join('/'));
    if (file.lfs) {
      const pointer = lfsPointer(file);
      entries.push({ type: 'file', path: file.path, oid: gitBlobSha1(pointer), size: file.size, lfs: { oid: file.hash, size: file.size, pointerSize: Buffer.byteLength(pointer) } });
    } else {
      entries.push({ type: 'file', path: file.path, oid: file.hash, size: file.size });
    }
  }
  for (const folder of folders) {
    entries.push({ type: 'directory', path: folder, oid: createHash('sha1').update(`${repo.sha}:${folder}`).digest('hex'), size: 0 });
  }
  const base = prefix ? `${prefix}/` : '';
  return entries
    .filter((entry) => entry.path.startsWith(base) && (recursive || !entry.path.slice(base.length).includes('/')))
    .sort((a, b) => a.path.localeCompare(b.path));
}

function serveFile(request: IncomingMessage, response: ServerResponse, repo: RepoState, file: HubFile & { absolute: string }): void {
  // The client names the blob by the oid from paths-info; the ETag here must be the same hash
  // (quoted, as the Hub sends it), and Python's hf_hub_download reads X-Repo-Commit and X-Linked-*.
  const etag = `"${file.hash}"`;
  const headers: Record<string, string | number> = {
    ETag: etag,
    'X-Repo-Commit': repo.sha,
    'Accept-Ranges': 'bytes',
    'Content-Type': 'application/octet-stream',
  };
  if (file.lfs) Object.assign(headers, { 'X-Linked-ETag': etag, 'X-Linked-Size': file.size });

  const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? '');
  let start = 0;
  let end = file.size - 1;
  if (range && file.size === 0) {
    // No byte range exists in an empty file, but the client reads the size from Content-Range
    // (a 416 would fail the download), so answer with the size and no bytes.
    response.writeHead(206, { ...headers, 'Content-Range': 'bytes */0', 'Content-Length': 0 }).end();
    return;
  }
  if (range) {
    start = range[1] ? Number(range[1]) : Math.max(0, file.size - Number(range[2]));
    end = range[1] && range[2] ? Math.min(Number(range[2]), file.size - 1) : file.size - 1;
    if (start > end || start >= file.size) {
      response.writeHead(416, { ...headers, 'Content-Range': `bytes */${file.size}` }).end();
      return;
    }
    response.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${file.size}`, 'Content-Length': end - start + 1 });
  } else {
    response.writeHead(200, { ...headers, 'Content-Length': file.size });
  }
  if (request.method === 'HEAD' || file.size === 0) {
    response.end();
    return;
  }
  createReadStream(file.absolute, { start, end }).on('error', (error) => response.destroy(error)).pipe(response);
}

function fail(response: ServerResponse, status: number, code: string, message: string): void {
  // The client tells "no such file" from other failures by X-Error-Code, and reads `error` from the JSON.
  response.writeHead(status, { 'Content-Type': 'application/json', 'X-Error-Code': code });
  response.end(JSON.stringify({ error: message }));
}

function json(response: ServerResponse, body: unknown): void {
  response.writeHead(200, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Repo-relative, '/'-separated paths of every file under `dir` (the repo's own .git excluded). */
async function walk(dir: string): Promise<string[]> {
  const paths: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/');
    if (path === '.git' || path.startsWith('.git/')) continue;
    paths.push(path);
  }
  return paths.sort();
}

function gitBlobSha1(content: string): string {
  return createHash('sha1').update(`blob ${Buffer.byteLength(content)}\0`).update(content).digest('hex');
}

function lfsPointer(file: HubFile): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${file.hash}\nsize ${file.size}\n`;
}
