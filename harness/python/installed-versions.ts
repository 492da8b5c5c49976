// The pinned environment's package versions as its worker reported them, kept per pin set (the
// environment is built from exact pins, as the catalog cache also assumes), so a run whose jobs all
// come from the result cache can write its manifest without starting Python.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheRoot } from './paths.js';
import { pinSetKey } from './pin-set.js';

type Versions = Record<string, string | null>;

const versionsPath = () => join(cacheRoot(), 'versions', `${pinSetKey()}.json`);

export function knownVersions(): Versions | undefined {
  return existsSync(versionsPath()) ? (JSON.parse(readFileSync(versionsPath(), 'utf8')) as Versions) : undefined;
}

export function rememberVersions(versions: Versions): void {
  mkdirSync(dirname(versionsPath()), { recursive: true });
  writeFileSync(versionsPath(), JSON.stringify(versions));
}
