// Where a model comes from, behind one small interface: `hub:org/name@rev` (downloaded into the HF
// cache layout), `synthetic:ClassName` (a tiny seeded checkpoint built from the generic tiny config,
// published into the local hub and downloaded from it, so the real download path runs), and
// `local:path` (a folder used as it is).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CatalogEntry } from '../catalog/catalog.js';
import { downloadRepo } from '../hub/hub-download.js';
import { startLocalHub, type LocalHub } from '../hub/local-hub.js';
import { cacheRoot } from '../python/paths.js';
import type { PythonWorker } from '../worker/python-worker.js';
import { SelectionError } from '../sweep/selection-error.js';
import { makeTiny, publishSynthetic, shareWithSnapshot, syntheticHubRoot, syntheticRepo } from './synthetic-source.js';

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
  const config = context.overrides[entry.model_type];
  const repo = syntheticRepo(entry, config);
  await publishSynthetic(repo, (outDir) => {
    const make = (worker: PythonWorker) => makeTiny(worker, entry, config, outDir);
    if (context.worker) return make(context.worker);
    if (context.onWorker) return context.onWorker(make);
    throw new Error(`synthetic:${spec.className} is built by a Python worker: pass worker or onWorker in the source context`);
  });
  let hub: LocalHub | undefined;
  try {
    const hubUrl = context.hubUrl ?? (hub = await startLocalHub(syntheticHubRoot())).url;
    const snapshot = await downloadRepo({ repo, revision: 'main', hubUrl, cacheDir, trustRemoteCode: context.trustRemoteCode, signal: context.signal });
    if (hub) await shareWithSnapshot(repo, snapshot); // only our own hub serves exactly what we built
    return snapshot;
  } finally {
    await hub?.close();
  }
}
