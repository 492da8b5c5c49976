import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { REPO_ROOT } from './paths.js';

/** The pin file in force (EXPORT_SWEEP_PINS, else pins/baseline.txt). */
export function pinFile(): string {
  return process.env.EXPORT_SWEEP_PINS ?? join(REPO_ROOT, 'pins', 'baseline.txt');
}

/** A short key of the pin set, for caches whose content depends on the installed versions. */
export function pinSetKey(): string {
  return createHash('sha256').update(readFileSync(pinFile())).digest('hex').slice(0, 12);
}

/** The pin set's name (``baseline`` for pins/baseline.txt): what skip-list entries are scoped by. */
export function pinSetName(): string {
  return basename(pinFile(), '.txt');
}
