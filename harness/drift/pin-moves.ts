// The pin sets between two pin sets: which direct requirements moved, and the requirements of a set
// that moves only some of them. Pure functions over the pin files' text; resolving and running are
// elsewhere (pin-resolve.ts, bisect.ts).

/** One pin set as a bisect reads it: its name, resolved pins (the .txt) and direct requirements (the .in). */
export interface PinSetText {
  name: string;
  /** The resolved file, header lines included. */
  txt: string;
  /** The direct requirements file; undefined where the run kept none (older runs). */
  in?: string;
}

/** A direct requirement whose resolved version differs between the two sets; ``null``: not in that set. */
export interface PinMove {
  name: string;
  from: string | null;
  to: string | null;
}

/** PyPI treats ``Foo_Bar`` and ``foo-bar`` as one project. */
export const normalizeName = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '-');

/** ``name==version`` lines of a resolved pin file (comments, blank and option lines skipped). */
export function resolvedPins(txt: string): Map<string, string> {
  const pins = new Map<string, string>();
  for (const line of txt.split('\n')) {
    const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#]+)/.exec(line.trim());
    if (match) pins.set(normalizeName(match[1]), match[2]);
  }
  return pins;
}

/** The project names a requirements (.in) file asks for, pinned or not. */
export function directNames(inText: string): string[] {
  const names: string[] = [];
  for (const line of inText.split('\n')) {
    const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line.trim());
    if (match && !line.trim().startsWith('-')) names.push(normalizeName(match[1]));
  }
  return names;
}

/** The versions the bisect names a package by, e.g. ``torch 2.12.0 -> 2.15.0``. */
export const moveText = (m: PinMove): string => `${m.name} ${m.from ?? '(absent)'} -> ${m.to ?? '(absent)'}`;

/** Direct requirements of either set whose resolved version differs, in the order the .in files
 * name them. Without .in files, the packages both resolved files pin count as direct only when a
 * fallback list names them (the run's reported versions: torch, transformers, ...). */
export function pinMoves(base: PinSetText, next: PinSetText, fallbackDirect: string[] = []): PinMove[] {
  const [from, to] = [resolvedPins(base.txt), resolvedPins(next.txt)];
  const listed = [...(base.in ? directNames(base.in) : []), ...(next.in ? directNames(next.in) : [])];
  const direct = [...new Set(listed.length ? listed : fallbackDirect.map(normalizeName))];
  return direct
    .map((name) => ({ name, from: from.get(name) ?? null, to: to.get(name) ?? null }))
    .filter((m) => m.from !== m.to);
}

/** The .in of the set that applies ``moved`` to ``base``: every direct requirement pinned exactly,
 * to its new version where it moves and to the base's resolved version elsewhere, so only the
 * moved packages (and what they drag along) differ from the base. A package the new set drops is
 * left out when it moves. */
export function intermediateRequirements(base: PinSetText, moves: PinMove[], moved: PinMove[]): string {
  const pins = resolvedPins(base.txt);
  const movedNames = new Map(moved.map((m) => [m.name, m]));
  const names = [...new Set([...(base.in ? directNames(base.in) : []), ...moves.map((m) => m.name)])];
  const lines: string[] = [];
  for (const name of names) {
    const version = movedNames.has(name) ? movedNames.get(name)!.to : pins.get(name) ?? null;
    if (version !== null) lines.push(`${name}==${version}`);
    else if (!movedNames.has(name) && base.in && directNames(base.in).includes(name)) lines.push(name);
  }
  return `${lines.join('\n')}\n`;
}

/** A file-name-safe name for the set, e.g. ``baseline+torch-2.15.0+executorch-1.5.1``. */
export function intermediateName(baseName: string, moved: PinMove[]): string {
  return [baseName, ...moved.map((m) => `${m.name}-${m.to ?? 'absent'}`)].join('+').replace(/[^A-Za-z0-9.+_-]/g, '_');
}

/** Every proper, non-empty subset of ``items``, smallest first (each size in the items' order): the
 * order a bisect tries them in, so the first set that reproduces a failure is a smallest one. */
export function subsetsSmallestFirst<T>(items: T[]): T[][] {
  const subsets: T[][] = [];
  const pick = (start: number, size: number, chosen: T[]) => {
    if (chosen.length === size) {
      subsets.push(chosen);
      return;
    }
    for (let i = start; i < items.length; i += 1) pick(i + 1, size, [...chosen, items[i]]);
  };
  for (let size = 1; size < items.length; size += 1) pick(0, size, []);
  return subsets;
}

/** The other moved packages a resolution failure names (``torchvision==0.27.0 depends on
 * torch==2.12.0``): what has to move along for the set to resolve. */
export function movesNamedIn(conflict: string, moves: PinMove[], moved: PinMove[]): PinMove[] {
  const mentioned = (name: string) => new RegExp(`(^|[^A-Za-z0-9._-])${name.replace(/[.-]/g, '[-_.]')}([^A-Za-z0-9_-]|$)`, 'i').test(conflict);
  return moves.filter((m) => !moved.some((x) => x.name === m.name) && mentioned(m.name));
}

/** uv's explanation of a resolution failure, without its hints: from the first ``Because`` on, the
 * sentences that name the conflicting constraints, on one line. */
export function resolutionConflict(uvOutput: string): string {
  const at = uvOutput.search(/\bBecause\b/);
  const text = at >= 0 ? uvOutput.slice(at) : uvOutput;
  const kept = text.split('\n').map((l) => l.trim()).filter((l) => l && !/^hint:/i.test(l));
  return kept.join(' ').replace(/\s+/g, ' ').trim() || 'uv found no resolution and printed no reason';
}
