import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { homedir } from 'node:os';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** bin/py: the pinned Python (bootstrapped on first use) with hf_exporters on its path. */
export const PYTHON_LAUNCHER = join(REPO_ROOT, 'bin', 'py');

/** Where tiny checkpoints, artifacts and the Python environment are cached, outside the repo. */
export function cacheRoot(): string {
  return process.env.EXPORT_SWEEP_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'export-sweep');
}
