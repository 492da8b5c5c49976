// The pin set a run folder was made under, as a file on disk: the copy the run kept (pins/<name>.txt), or
// for runs made before runs kept one, pins/<name>.txt while it still has the key the manifest
// recorded (an edited pin file is another pin set, and a bisect from it would blame the wrong move).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pinKeyOf } from '../python/pin-set.js';
import { REPO_ROOT } from '../python/paths.js';
import { PINS_DIR, RunFolder } from '../results/run-folder.js';
import type { PinSetText } from './pin-moves.js';

/** The caller's runs do not allow a bisect (no pin set to move from, same pins, nothing moved):
 * a usage error, not a fault of the harness. */
export class BisectInputError extends Error {}

export interface RunPinSet extends PinSetText {
  /** The resolved file on disk, for EXPORT_SWEEP_PINS. */
  file: string;
  key: string;
}

const readIf = (file: string): string | undefined => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);

export function runPinSet(runDir: string): RunPinSet {
  const { pins } = new RunFolder(runDir).readManifest();
  const kept = join(runDir, PINS_DIR, `${pins.name}.txt`);
  if (existsSync(kept)) return { name: pins.name, key: pins.key, file: kept, txt: readFileSync(kept, 'utf8'), in: readIf(join(runDir, PINS_DIR, `${pins.name}.in`)) };
  const file = join(REPO_ROOT, 'pins', `${pins.name}.txt`);
  if (!existsSync(file)) {
    throw new BisectInputError(`${runDir} was made under pin set '${pins.name}' (key ${pins.key}) and keeps no copy of it (${PINS_DIR}/${pins.name}.txt), and pins/${pins.name}.txt does not exist: restore that file (git log pins/) or re-run the run with this version of export-sweep, which keeps one`);
  }
  const txt = readFileSync(file, 'utf8');
  if (pinKeyOf(txt) !== pins.key) {
    throw new BisectInputError(`${runDir} was made under pin set '${pins.name}' with key ${pins.key}, but pins/${pins.name}.txt now has key ${pinKeyOf(txt)} (edited since): check out the pins/ of the run's commit, or re-run it`);
  }
  return { name: pins.name, key: pins.key, file, txt, in: readIf(join(REPO_ROOT, 'pins', `${pins.name}.in`)) };
}
