// Whose exporter a sweep measures: ours (hf_exporters) or a peer run on the same jobs, inputs and
// runtimes, so pass rates and errors compare one to one. Each is an adapter file here that registers
// one export per backend (harness/worker/python/sweep_worker/implementations.py): the worker always
// loads ours_exporters.py, and a peer's file when SWEEP_WORKER_PEERS names it. The worker imports no
// exporter itself, and hf_exporters imports nothing of the harness.
import { join } from 'node:path';
import { REPO_ROOT } from '../python/paths.js';

export const IMPLEMENTATIONS = ['ours', 'upstream'] as const;
export type Implementation = (typeof IMPLEMENTATIONS)[number];

/** Each implementation's adapter file; a new peer is one entry here plus its file. */
export const ADAPTER_FILES: Record<Implementation, string> = {
  // hf_exporters, the system under test
  ours: join(REPO_ROOT, 'harness', 'peers', 'ours_exporters.py'),
  // the pinned transformers' own transformers.exporters
  upstream: join(REPO_ROOT, 'harness', 'peers', 'upstream_exporters.py'),
};

export const PEERS_ENV = 'SWEEP_WORKER_PEERS';

export function isPeer(implementation: Implementation | undefined): implementation is Exclude<Implementation, 'ours'> {
  return implementation !== undefined && implementation !== 'ours';
}

/** The worker environment that loads ``implementation``'s peer file (none for ours). */
export function peerEnv(implementation: Implementation | undefined): Record<string, string> {
  return isPeer(implementation) ? { [PEERS_ENV]: ADAPTER_FILES[implementation] } : {};
}

export function isImplementation(text: string): text is Implementation {
  return (IMPLEMENTATIONS as readonly string[]).includes(text);
}
