import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { REPO_ROOT } from './paths.js';

/** The pin file in force (EXPORT_SWEEP_PINS, else pins/baseline.txt). */
export function pinFile(): string {
  return process.env.EXPORT_SWEEP_PINS ?? join(REPO_ROOT, 'pins', 'baseline.txt');
}

/** A short key of a pin file's content, for caches whose content depends on the installed versions. */
export function pinKeyOf(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 12);
}

/** The key of the pin set in force. */
export function pinSetKey(): string {
  return pinKeyOf(readFileSync(pinFile()));
}

/** Runs ``work`` with ``file`` as the pin set in force (EXPORT_SWEEP_PINS), for the harness and the
 * workers it starts alike, and puts the previous one back after, even when ``work`` throws. */
export async function withPins<T>(file: string, work: () => Promise<T>): Promise<T> {
  const before = process.env.EXPORT_SWEEP_PINS;
  process.env.EXPORT_SWEEP_PINS = file;
  try {
    return await work();
  } finally {
    if (before === undefined) delete process.env.EXPORT_SWEEP_PINS;
    else process.env.EXPORT_SWEEP_PINS = before;
  }
}

/** The pin set's name (``baseline`` for pins/baseline.txt): what skip-list entries are scoped by. */
export function pinSetName(): string {
  return basename(pinFile(), '.txt');
}
