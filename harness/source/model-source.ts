// Where a model comes from, behind one small interface: `hub:org/name@rev` (downloaded into the HF
// cache layout), `synthetic:ClassName` (a tiny seeded checkpoint built from the generic tiny config,
// published into the local hub and downloaded from it, so the real download path runs), and
// `local:path` (a folder used as it is).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CatalogEntry } from '../catalog/catalog.js';
import { downloadRepo } from '../hub/hub-download.js';
import { startLocalHub, type LocalHub } from '../hub/local-hub.js';
import { cacheRoot } from '../python/paths.js';
import { pinSetKey } from '../python/pin-set.js';
import { recipeHash } from '../sweep/source-hash.js';
import type { PythonWorker } from '../worker/python-worker.js';
import { SelectionError } from '../sweep/selection-error.js';

export type SourceSpec =
  | { kind: 'hub'; repo: string; revision: string }
  | { kind: 'synthetic'; className: string }
  | { kind: 'local'; path: string };

export function parseSource(spec: string): SourceSpec {
  const [kind, ...rest] = spec.split(':');
  const value = rest.join(':');
  if (kind === 'hub' && /^[\w.-]+\/[\w.-]+(@[\w./-]+)?$/.test(value)) {
    const [repo, revision = 'main'] = value.split('@');
    return { kind, repo, revision };
  }
  if (kind === 'synthetic' && /^\w+$/.test(value)) return { kind, className: value };
  if (kind === 'local' && value) return { kind, path: resolve(value) };
  throw new SelectionError(`model source '${spec}' is not one of hub:org/name[@revision], synthetic:ClassName, local:path`);
}

/** Runs ``work`` on a Python worker (the sweep's pool lends one) and gives its value or throws its failure. */
export type OnWorker = <T>(work: (worker: PythonWorker) => Promise<T>) => Promise<T>;

export interface SourceContext {
  /** Builds a synthetic source's tiny checkpoint the first time (or ``onWorker`` lends one then);
   * hub: and local: sources, and a synthetic one built before, need no worker. */
  worker?: PythonWorker;
  onWorker?: OnWorker;
  catalog: CatalogEntry[];
  /** Overrides for the tiny config, by model type. */
  overrides: Record<string, Record<string, unknown>>;
  /** A hub to download from; for synthetic sources, omitted means a local hub started for the call. */
  hubUrl?: string;
  trustRemoteCode?: boolean;
  cacheDir?: string;
  /** Aborts the source's pending hub requests (a sweep that is closing). */
  signal?: AbortSignal;
}

/** The local folder holding the model's config.json and safetensors weights. */
export async function resolveSource(spec: SourceSpec, context: SourceContext): Promise<string> {
  const cacheDir = context.cacheDir ?? join(cacheRoot(), 'hub');
  if (spec.kind === 'local') {
    if (!existsSync(join(spec.path, 'config.json'))) throw new Error(`local:${spec.path} has no config.json; point it at a checkpoint folder`);
    return spec.path;
  }
  if (spec.kind === 'hub') {
    if (!context.hubUrl) throw new Error(`hub:${spec.repo} needs a hub URL; pass --hub-url`);
    return downloadRepo({ repo: spec.repo, revision: spec.revision, hubUrl: context.hubUrl, cacheDir, trustRemoteCode: context.trustRemoteCode, signal: context.signal });
  }
  const entry = context.catalog.find((e) => e.class === spec.className);
  if (!entry) throw new Error(`synthetic:${spec.className} is not a class of the pinned transformers; see 'export-sweep list'`);
  // The overrides and the code that builds tiny checkpoints are part of the name, so editing either
  // never serves a stale checkpoint.
  const overridesKey = createHash('sha256').update(JSON.stringify({ overrides: context.overrides[entry.model_type] ?? {}, recipe: recipeHash() })).digest('hex').slice(0, 8);
  const repo = `synthetic/${entry.class}-${overridesKey}`;
  const hubRoot = join(cacheRoot(), 'local-hub', pinSetKey());
  const repoDir = join(hubRoot, repo);
  if (!existsSync(join(repoDir, 'model.safetensors'))) {
    const built = join(cacheRoot(), 'tiny', pinSetKey(), `${entry.class}-${overridesKey}`);
    const make = (worker: PythonWorker) => worker.request('make_tiny', {
      model_class: entry.class, model_type: entry.model_type, out_dir: built, config: context.overrides[entry.model_type], shrink: true,
    });
    if (context.worker) await make(context.worker);
    else if (context.onWorker) await context.onWorker(make);
    else throw new Error(`synthetic:${spec.className} is built by a Python worker: pass worker or onWorker in the source context`);
    await mkdir(join(hubRoot, 'synthetic'), { recursive: true });
    await cp(built, repoDir, { recursive: true });
  }
  let hub: LocalHub | undefined;
  try {
    const hubUrl = context.hubUrl ?? (hub = await startLocalHub(hubRoot)).url;
    return await downloadRepo({ repo, revision: 'main', hubUrl, cacheDir, trustRemoteCode: context.trustRemoteCode, signal: context.signal });
  } finally {
    await hub?.close();
  }
}
