// Whose exporter a sweep measures: ours (hf_exporters) or a peer run on the same jobs, inputs and
// runtimes, so pass rates and errors compare one to one. A peer is a Python file the worker imports
// at start when HF_EXPORTERS_WORKER_PEERS names it (exporters/hf_exporters/worker/implementations.py);
// it registers one export per backend. hf_exporters never imports a peer.
import { join } from 'node:path';
import { REPO_ROOT } from '../python/paths.js';

export const IMPLEMENTATIONS = ['ours', 'upstream'] as const;
export type Implementation = (typeof IMPLEMENTATIONS)[number];

/** Each peer's Python file; a new peer is one entry here plus its file. */
export const PEER_FILES: Record<Exclude<Implementation, 'ours'>, string> = {
  // the pinned transformers' own transformers.exporters
  upstream: join(REPO_ROOT, 'harness', 'peers', 'upstream_exporters.py'),
};

export const PEERS_ENV = 'HF_EXPORTERS_WORKER_PEERS';

export function isPeer(implementation: Implementation | undefined): implementation is Exclude<Implementation, 'ours'> {
  return implementation !== undefined && implementation !== 'ours';
}

/** The worker environment that loads ``implementation``'s peer file (none for ours). */
export function peerEnv(implementation: Implementation | undefined): Record<string, string> {
  return isPeer(implementation) ? { [PEERS_ENV]: PEER_FILES[implementation] } : {};
}

export function isImplementation(text: string): text is Implementation {
  return (IMPLEMENTATIONS as readonly string[]).includes(text);
}
