// `export-sweep run`'s help and flags for what the sweep reuses: the recycling default and its off
// switch, and the one switch that turns both caches off.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RECYCLE_AFTER_JOBS } from '../worker/pool.js';
import { UsageError } from './args.js';
import { parseRecycleAfter, RUN_USAGE } from './run-command.js';

describe('export-sweep run --help', () => {
  it('says the recycling default and how to turn it off', () => {
    expect(RUN_USAGE).toMatch(new RegExp(`--recycle-after N\\s+replace a worker after N jobs[^]*\\(default\\s+${DEFAULT_RECYCLE_AFTER_JOBS}; 0 or never: keep each worker`));
  });

  it('says --no-artifact-cache also runs unchanged passing jobs again', () => {
    expect(RUN_USAGE).toMatch(/--no-artifact-cache\s+run every job in full: no cached artifact or passing result/);
  });
});

describe('--recycle-after', () => {
  it('takes a job count, 0 or never (no recycling); absent keeps the default', () => {
    expect(parseRecycleAfter('25')).toBe(25);
    expect(parseRecycleAfter('0')).toBe(0);
    expect(parseRecycleAfter('never')).toBe(0);
    expect(parseRecycleAfter(undefined)).toBeUndefined();
  });

  it('names itself and what it takes when given something else', () => {
    for (const bad of ['-1', '2.5', 'always']) {
      expect(() => parseRecycleAfter(bad)).toThrow(UsageError);
      expect(() => parseRecycleAfter(bad)).toThrow(/--recycle-after must be a number of jobs \(0 or 'never' for no recycling\), got/);
    }
  });
});
