// What a checkpoint folder holds, as one hash: the part of a cache key that says which model a
// cached artifact or result was made from. A `local:` folder edited after a passing run, or a hub
// branch moved to a new commit, must never be served the old folder's green cell, so the key comes
// from the bytes (or the commit), not from the source string that names them.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { snapshotCommit } from '../hub/hub-download.js';

// Pickle weights are never loaded (model_folder.py refuses them), so they decide nothing.
const NEVER_LOADED = /\.(bin|pt|pth|ckpt|pkl|pickle)$/;

/** Per file: its hash while size, mtime, ctime and inode stay the same, so a large model is read
 * once per process however many sweeps and jobs use it. */
const fileHashes = new Map<string, { stamp: string; hash: Promise<string> }>();

async function fileHash(path: string): Promise<string> {
  const info = await stat(path, { bigint: true }); // follows a hub snapshot's symlink to its blob
  const stamp = `${info.size}:${info.mtimeNs}:${info.ctimeNs}:${info.ino}`;
  const known = fileHashes.get(path);
  if (known?.stamp === stamp) return known.hash;
  const hash = (async () => {
    const digest = createHash('sha256');
    for await (const chunk of createReadStream(path)) digest.update(chunk as Buffer);
    return digest.digest('hex');
  })();
  fileHashes.set(path, { stamp, hash });
  hash.catch(() => fileHashes.delete(path));
  return hash;
}

/**
 * ``hub:org/name@<sha>`` for a snapshot that downloadRepo completed (its files were checked against
 * that commit's hashes); otherwise a hash of every file the loader may read, that is the folder's
 * top level (config.json, generation and processor configs, every safetensors shard and index,
 * tokenizer files), names included.
 */
export async function checkpointContent(dir: string): Promise<string> {
  const snapshot = await snapshotCommit(dir);
  if (snapshot) return `hub:${snapshot.repo}@${snapshot.sha}`;
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => !entry.name.startsWith('.') && !NEVER_LOADED.test(entry.name))
    .map((entry) => entry.name)
    .sort();
  const digest = createHash('sha256');
  for (const name of entries) {
    const path = join(dir, name);
    if (!(await stat(path)).isFile()) continue; // from_pretrained reads a folder's top level only
    digest.update(`${name}\0${await fileHash(path)}\n`);
  }
  return `sha256:${digest.digest('hex').slice(0, 32)}`;
}
