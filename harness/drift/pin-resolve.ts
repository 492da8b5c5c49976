// An intermediate pin set resolved as pins/ are (uv pip compile, the same interpreter and platform),
// written under the cache once and reused: a bisect run again, or another bisect between the same
// sets, resolves nothing twice. A set that does not resolve is remembered with uv's reason.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, REPO_ROOT } from '../python/paths.js';
import { intermediateName, intermediateRequirements, moveText, resolutionConflict, type PinMove, type PinSetText } from './pin-moves.js';

// the platform every pin set of pins/ is resolved for (pins/README.md)
const PLATFORM = 'x86_64-manylinux_2_28';

export type Resolution = { ok: true; name: string; file: string } | { ok: false; name: string; conflict: string };

/** The interpreter version a pin file was resolved for (its ``# python: X.Y`` header line). */
export function pythonOf(pins: PinSetText): string {
  const version = /^# python: *([0-9.]+)/m.exec(pins.txt)?.[1];
  if (!version) throw new Error(`pin set '${pins.name}' lacks the '# python: X.Y' header line that bin/bootstrap-python needs; add it`);
  return version;
}

/** The pinned environment's uv (bin/bootstrap-python installs it), building that environment if needed. */
function uvOf(pinFile: string): string {
  const venv = execFileSync(join(REPO_ROOT, 'bin', 'bootstrap-python'), { env: { ...process.env, EXPORT_SWEEP_PINS: pinFile }, encoding: 'utf8' }).trim();
  return join(venv, 'bin', 'uv');
}

/** ``base`` with ``moved`` applied, resolved, or the constraint that stops it. ``basePinFile`` is
 * the base set's file on disk (its environment supplies uv). */
export function resolveIntermediate(base: PinSetText, basePinFile: string, moves: PinMove[], moved: PinMove[]): Resolution {
  const name = intermediateName(base.name, moved);
  const requirements = intermediateRequirements(base, moves, moved);
  const python = pythonOf(base);
  const key = createHash('sha256').update(`${python}\n${PLATFORM}\n${requirements}\n${base.txt}`).digest('hex').slice(0, 12);
  const dir = join(cacheRoot(), 'bisect', 'pins', key);
  const [inFile, txtFile, conflictFile] = [join(dir, `${name}.in`), join(dir, `${name}.txt`), join(dir, `${name}.conflict`)];
  if (existsSync(txtFile)) return { ok: true, name, file: txtFile };
  if (existsSync(conflictFile)) return { ok: false, name, conflict: readFileSync(conflictFile, 'utf8') };
  mkdirSync(dir, { recursive: true });
  writeFileSync(inFile, requirements);
  // uv keeps the versions an existing output file pins wherever the new requirements allow: the
  // packages nothing moved stay at the base's versions, as a one-package bump would leave them
  const body = join(dir, `${name}.resolved`);
  writeFileSync(body, base.txt.split('\n').filter((l) => !l.startsWith('#')).join('\n'));
  const uv = spawnSync(uvOf(basePinFile), ['pip', 'compile', '--quiet', '--python', python, '--python-platform', PLATFORM, '--no-header', '--no-annotate', inFile, '-o', body], { encoding: 'utf8' });
  if (uv.status !== 0) {
    const conflict = resolutionConflict(`${uv.stderr}\n${uv.stdout}`);
    writeFileSync(conflictFile, conflict);
    return { ok: false, name, conflict };
  }
  const header = [
    `# export-sweep ${name} pin set: ${base.name} with ${moved.map(moveText).join(', ')} (written by export-sweep bisect).`,
    `# Regenerate: uv pip compile --python ${python} --python-platform ${PLATFORM} --no-header --no-annotate ${name}.in`,
    `# python: ${python}`,
  ];
  writeFileSync(txtFile, `${header.join('\n')}\n${readFileSync(body, 'utf8')}`);
  return { ok: true, name, file: txtFile };
}
