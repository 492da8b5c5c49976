// `export-sweep --version`: what a bug report needs first, read from files alone (no Python start).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../python/paths.js';
import { pinFile, pinSetName } from '../python/pin-set.js';

/** `export-sweep 0.1.0 (pins baseline: transformers==..., torch==...)`: the package version and the
 * pin set in force with the two versions a result depends on most. */
export function versionLine(): string {
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const pins = readFileSync(pinFile(), 'utf8').split('\n').filter((line) => /^(transformers|torch)==/.test(line.trim()));
  return `export-sweep ${version} (pins ${pinSetName()}${pins.length ? `: ${pins.map((p) => p.trim()).join(', ')}` : ''})`;
}
