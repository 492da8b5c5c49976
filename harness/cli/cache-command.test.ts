// `export-sweep cache prune` keeps the environments pins/ uses and removes the rest (a bisect's
// intermediate sets, stale keys), with the pin sets bisects resolved; --dry-run removes nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../python/paths.js';
import { cacheCommand } from './cache-command.js';

const before = process.env.EXPORT_SWEEP_CACHE;
afterEach(() => {
  if (before === undefined) delete process.env.EXPORT_SWEEP_CACHE;
  else process.env.EXPORT_SWEEP_CACHE = before;
});

describe('export-sweep cache prune', () => {
  it('removes only what no pin set of pins/ uses', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'cache-prune-'));
    process.env.EXPORT_SWEEP_CACHE = cache;
    // where bin/bootstrap-python puts the baseline environment under this cache (nothing is built)
    const live = execFileSync(join(REPO_ROOT, 'bin', 'bootstrap-python'), ['--path'], { env: { ...process.env, EXPORT_SWEEP_PINS: join(REPO_ROOT, 'pins', 'baseline.txt') }, encoding: 'utf8' }).trim();
    const stale = join(cache, 'python', 'baseline+onnx-1.23.2-0123456789abcdef');
    for (const dir of [live, stale]) {
      mkdirSync(join(dir, 'bin'), { recursive: true });
      writeFileSync(join(dir, 'bin', 'python'), 'a file, so the folder has a size');
    }
    mkdirSync(join(cache, 'bisect', 'pins', 'abc'), { recursive: true });

    expect(await cacheCommand(['prune', '--dry-run'])).toBe(0);
    expect(existsSync(stale) && existsSync(join(cache, 'bisect'))).toBe(true);

    expect(await cacheCommand(['prune'])).toBe(0);
    expect(readdirSync(join(cache, 'python'))).toEqual([basename(live)]);
    expect(existsSync(join(cache, 'bisect'))).toBe(false);
  });
});
