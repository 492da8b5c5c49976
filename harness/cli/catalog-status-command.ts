// `export-sweep catalog-status`: record finished catalog shards and write docs/catalog-status.md/.json.
import { relative } from 'node:path';
import { loadCatalog } from '../catalog/catalog.js';
import { recordOf, RECORDS_DIR, writeRecord } from '../catalog/catalog-records.js';
import { ratchetShortfalls, statusPaths, STATUS_RATCHET_PATH, writeCatalogStatus } from '../catalog/catalog-status-files.js';
import { REPO_ROOT } from '../python/paths.js';
import { pinSetKey, pinSetName } from '../python/pin-set.js';
import { loadSkipLists } from '../skips/skip-list.js';
import { parseCommand } from './args.js';
import { usePins } from './run-command.js';

export const CATALOG_STATUS_USAGE = `usage: export-sweep catalog-status [RUN ...] [--pins NAME] [--raise-ratchet]

Records each run folder RUN (a shard of \`run '*' --shard i/n\`, or any catalog run, ours or
--implementation upstream) as a small JSON file in ${relative(REPO_ROOT, RECORDS_DIR)}/<pin set>/ (a shard
recorded again replaces its record), then writes docs/catalog-status.md and .json (for another pin
set docs/catalog-status-<pins>.md and .json) from every record of the pin set (default baseline): pass rates per backend and mode, generation
parity, expectation counts, unexplained failures, ours against upstream. Recorded results are judged
under today's expectation lists; records made under other pins are listed, not counted. Commit the
records with the status.

--raise-ratchet  raise ${relative(REPO_ROOT, STATUS_RATCHET_PATH)} to the rates written (never lowers it)`;

export async function catalogStatusCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(args, CATALOG_STATUS_USAGE, { pins: { type: 'string' }, 'raise-ratchet': { type: 'boolean' } } as const);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  usePins(values.pins);
  for (const run of positionals) {
    const record = recordOf(run);
    if (record.pins.name !== pinSetName()) {
      console.log(`${run}: ran under pin set ${record.pins.name}; recorded there (run catalog-status --pins ${record.pins.name} for its status)`);
    }
    const file = writeRecord(record);
    console.log(`recorded ${run}: ${record.results.length} results, ${record.missing.length} missing -> ${relative(REPO_ROOT, file)}`);
  }
  const catalog = await loadCatalog();
  const status = writeCatalogStatus({ catalog, expectations: loadSkipLists(undefined, catalog).exportSkip, pins: pinSetName(), pinsKey: pinSetKey() }, values['raise-ratchet']);
  console.log(`catalog status (${status.pins}): ${status.classesRecorded} of ${status.classes} classes recorded, ${status.unexplained} unexplained failures`);
  for (const [key, rate] of Object.entries(status.rates)) {
    console.log(`  ${key.padEnd(20)} all ${rate.all === null ? '-' : (100 * rate.all).toFixed(1)}% (${rate.passed}/${rate.jobs}), reached ${rate.reached === null ? '-' : (100 * rate.reached).toFixed(1)}% (${rate.reachedPassed}/${rate.reachedJobs})`);
  }
  if (status.staleRecords.length) console.log(`not counted, made under other pins: ${status.staleRecords.map((r) => r.file).join(', ')}`);
  const short = ratchetShortfalls(status);
  for (const line of short) console.log(`below the ratchet: ${line}`);
  const paths = statusPaths(status.pins);
  console.log(`wrote ${relative(REPO_ROOT, paths.markdown)} and ${relative(REPO_ROOT, paths.json)}`);
  return short.length ? 1 : 0;
}
