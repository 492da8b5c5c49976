// `export-sweep cache [list | prune]`: the Python environments under the cache, several GB each on
// paper, and removing the ones no pin set of pins/ uses any more (a bisect's intermediate sets, a
// pin file since edited, the bisect test's set).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, REPO_ROOT } from '../python/paths.js';
import { alignColumns } from '../report/text-columns.js';
import { parseCommand, UsageError } from './args.js';

export const CACHE_USAGE = `usage: export-sweep cache [list | prune [--dry-run]]

list (the default): every Python environment under $EXPORT_SWEEP_CACHE/python with its size and
whether a pin set of pins/ uses it, then the whole folder's size on disk. Environments install
their wheels as hard links into uv's cache, so each one's size counts files it shares with the
others and with uv's cache; the total is what the disk holds.

prune: removes every environment no pins/*.txt resolves to (a bisect's intermediate sets, the sets
of pin files edited since, test sets) and the pin files bisects wrote; the next run that needs one
builds it again. --dry-run lists them without removing. uv's own wheel cache is \`uv cache prune\`'s.`;

const kib = (dir: string): number => Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).trim().split(/\s+/)[0]);
const gb = (k: number): string => `${(k / 2 ** 20).toFixed(2)} GB`;

/** The environments the pin sets of pins/ use today, as bin/bootstrap-python names them. */
function liveEnvironments(): Set<string> {
  const pins = readdirSync(join(REPO_ROOT, 'pins')).filter((f) => f.endsWith('.txt'));
  return new Set(pins.map((f) => execFileSync(join(REPO_ROOT, 'bin', 'bootstrap-python'), ['--path'], {
    env: { ...process.env, EXPORT_SWEEP_PINS: join(REPO_ROOT, 'pins', f) }, encoding: 'utf8',
  }).trim()));
}

export async function cacheCommand(args: string[]): Promise<number> {
  const parsed = parseCommand(args, CACHE_USAGE, { 'dry-run': { type: 'boolean' } } as const);
  if (!parsed) return 0;
  const [action = 'list', ...extra] = parsed.positionals;
  if (!['list', 'prune'].includes(action) || extra.length) throw new UsageError(`cache takes 'list' or 'prune', got '${[action, ...extra].join(' ')}'`);
  const root = join(cacheRoot(), 'python');
  const envs = existsSync(root) ? readdirSync(root).map((name) => join(root, name)).filter((p) => statSync(p).isDirectory()) : [];
  const live = liveEnvironments();
  if (action === 'list') {
    const rows = envs.map((p) => [p.slice(root.length + 1), gb(kib(p)), live.has(p) ? 'pins/' : 'unused (prune removes it)']);
    console.log(`${alignColumns(['environment', 'size', 'used by'], rows)}\n\n${root}: ${existsSync(root) ? gb(kib(root)) : '0 GB'} on disk`);
    return 0;
  }
  const stale = envs.filter((p) => !live.has(p));
  const bisectPins = join(cacheRoot(), 'bisect');
  const before = existsSync(root) ? kib(root) : 0;
  for (const p of stale) {
    console.log(`${parsed.values['dry-run'] ? 'would remove' : 'removing'} ${p}`);
    if (!parsed.values['dry-run']) {
      rmSync(p, { recursive: true, force: true });
      rmSync(`${p}.lock`, { force: true });
    }
  }
  if (existsSync(bisectPins)) {
    console.log(`${parsed.values['dry-run'] ? 'would remove' : 'removing'} ${bisectPins} (the pin sets bisects resolved)`);
    if (!parsed.values['dry-run']) rmSync(bisectPins, { recursive: true, force: true });
  }
  const after = existsSync(root) ? kib(root) : 0;
  console.log(parsed.values['dry-run'] ? `${stale.length} environment(s) unused` : `removed ${stale.length} environment(s): ${gb(before)} -> ${gb(after)} on disk`);
  return 0;
}
