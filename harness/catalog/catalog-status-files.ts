// The catalog status's files: docs/catalog-status.md and .json, written from the records, and the
// ratchet they must never fall below. Until every class is recorded, the rates move with each shard
// added (a shard of harder classes lowers them without anything regressing), so the ratchet holds the
// passing jobs per backend and mode, which only a regression lowers, and holds the rates once the
// whole catalog is recorded.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../python/paths.js';
import { passed, type JobStatus } from '../sweep/job-result.js';
import { readRecords, RECORDS_DIR } from './catalog-records.js';
import { catalogStatusMarkdown } from './catalog-status-markdown.js';
import { catalogStatus, type CatalogStatus, type StatusInputs } from './catalog-status.js';

/** docs/catalog-status.{md,json} for baseline, docs/catalog-status-<pins>.{md,json} for another pin set. */
export function statusPaths(pins: string): { json: string; markdown: string } {
  const stem = join(REPO_ROOT, 'docs', pins === 'baseline' ? 'catalog-status' : `catalog-status-${pins}`);
  return { json: `${stem}.json`, markdown: `${stem}.md` };
}
export const STATUS_RATCHET_PATH = join(REPO_ROOT, 'harness', 'catalog', 'catalog-status-ratchet.json');

export interface StatusRatchet {
  $comment?: string;
  /** Per pin set: passing jobs per backend/mode (forward and generate), and the rates once the catalog is whole. */
  [pins: string]: { passed: Record<string, number>; rates?: Record<string, { all: number; reached: number }> } | string | undefined;
}

/** The status of the records in ``dir`` for the pin set of ``inputs``. */
export function statusFromRecords(inputs: Omit<StatusInputs, 'records'>, dir = RECORDS_DIR): CatalogStatus {
  return catalogStatus({ ...inputs, records: readRecords(inputs.pins, dir) });
}

/** Passing jobs per backend/mode, generate jobs included. */
export function passedCounts(status: CatalogStatus): Record<string, number> {
  return Object.fromEntries(Object.entries(status.statuses).map(([key, counts]) => [
    key, Object.entries(counts).filter(([st]) => passed({ status: st as JobStatus })).reduce((sum, [, n]) => sum + n, 0),
  ]));
}

export function readRatchet(path = STATUS_RATCHET_PATH): StatusRatchet {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) as StatusRatchet : {};
}

/** What falls below the ratchet, one line each; nothing when the status holds. */
export function ratchetShortfalls(status: CatalogStatus, ratchet = readRatchet()): string[] {
  const floor = ratchet[status.pins];
  if (!floor || typeof floor === 'string') return [];
  const passedNow = passedCounts(status);
  const lines = Object.entries(floor.passed).filter(([key, n]) => (passedNow[key] ?? 0) < n)
    .map(([key, n]) => `${status.pins} ${key}: ${passedNow[key] ?? 0} passing jobs, the ratchet holds ${n}`);
  if (floor.rates && status.classesRecorded === status.classes) {
    for (const [key, rate] of Object.entries(floor.rates)) {
      const now = status.rates[key];
      if ((now?.all ?? 0) < rate.all || (now?.reached ?? 0) < rate.reached) {
        lines.push(`${status.pins} ${key}: rates ${now?.all ?? 0} / ${now?.reached ?? 0}, the ratchet holds ${rate.all} / ${rate.reached}`);
      }
    }
  }
  return lines;
}

/** The ratchet raised to ``status`` where it is higher; never lowered. */
export function raisedRatchet(status: CatalogStatus, ratchet = readRatchet()): StatusRatchet {
  const old = ratchet[status.pins];
  const floor = old && typeof old !== 'string' ? old : { passed: {} };
  const passed = { ...floor.passed };
  for (const [key, n] of Object.entries(passedCounts(status))) passed[key] = Math.max(passed[key] ?? 0, n);
  let { rates } = floor;
  if (status.classesRecorded === status.classes) {
    rates = { ...rates };
    for (const [key, r] of Object.entries(status.rates)) {
      rates[key] = { all: Math.max(rates[key]?.all ?? 0, r.all ?? 0), reached: Math.max(rates[key]?.reached ?? 0, r.reached ?? 0) };
    }
  }
  return { ...ratchet, [status.pins]: { passed, ...(rates ? { rates } : {}) } };
}

/** The status as JSON, in the layout of the committed file (so a test can compare it byte for byte). */
export const statusJson = (status: CatalogStatus): string => `${JSON.stringify(status, null, 1)}\n`;

export function writeCatalogStatus(inputs: Omit<StatusInputs, 'records'>, raise = false): CatalogStatus {
  const status = statusFromRecords(inputs);
  const paths = statusPaths(status.pins);
  writeFileSync(paths.json, statusJson(status));
  writeFileSync(paths.markdown, catalogStatusMarkdown(status));
  if (raise) writeFileSync(STATUS_RATCHET_PATH, `${JSON.stringify(raisedRatchet(status), null, 1)}\n`);
  return status;
}
