// A hash of the source files that decide a cached outcome, so an entry made by other code is never
// reused: editing an exporter invalidates its artifacts, editing a comparison the results.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { recipeData } from '../architectures/architectures.js';
import { REPO_ROOT } from '../python/paths.js';

const hashes = new Map<string, string>();

/** Every file under ``paths`` (folders or files, relative to the repository) whose name ends with
 * one of ``extensions``, tests, __pycache__ and the folders or files in ``exclude`` left out. */
export function sourceHash(paths: string[], extensions: string[], exclude: string[] = []): string {
  const key = JSON.stringify([paths, extensions, exclude]);
  const excluded = new Set(exclude.map((p) => join(REPO_ROOT, p)));
  const known = hashes.get(key);
  if (known) return known;
  const hash = createHash('sha256');
  const take = (root: string, path: string) => {
    if (extensions.some((ext) => path.endsWith(ext)) && !/\.test\.\w+$/.test(path) && !excluded.has(path)) {
      hash.update(relative(root, path)).update(readFileSync(path));
    }
  };
  const walk = (root: string, dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== '__pycache__' && !excluded.has(path)) walk(root, path);
      else if (entry.isFile()) take(root, path);
    }
  };
  for (const path of paths.map((p) => join(REPO_ROOT, p))) {
    if (statSync(path).isDirectory()) walk(path, path);
    else take(REPO_ROOT, path);
  }
  const digest = hash.digest('hex').slice(0, 16);
  hashes.set(key, digest);
  return digest;
}

/** The harness's Python worker package (protocol, ops, runners, recipes). */
export const WORKER = 'harness/worker/python/sweep_worker';
/** The code that builds a tiny checkpoint and every sample input: a change here is a different model
 * or different inputs, even with the same entry, so cache keys and tiny-checkpoint folders include it. */
export const RECIPE_CODE = [`${WORKER}/tiny_config.py`, `${WORKER}/sample_inputs.py`, `${WORKER}/tiny_checkpoint.py`];

/** The recipe code and the architecture rows' ``tinyConfig`` and ``inputs`` (not their tolerances or
 * expectations: editing a skip entry rebuilds no tiny checkpoint). */
export function recipeHash(): string {
  return createHash('sha256').update(JSON.stringify([sourceHash(RECIPE_CODE, ['.py']), recipeData()])).digest('hex').slice(0, 16);
}
