// Each job's status over the last runs found beside this one, so a flaky or newly broken model
// stands out on the dashboard.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MANIFEST, RunFolder } from '../results/run-folder.js';
import type { JobStatus } from '../sweep/job-result.js';

export interface HistoryEntry { run: string; status: JobStatus }

/** Per job id, its statuses in the last ``limit`` runs of ``root`` (oldest first), this run last. */
export function jobHistory(runDir: string, limit = 10, root = dirname(resolve(runDir))): Map<string, HistoryEntry[]> {
  const runs = existsSync(root)
    ? readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(root, d.name, MANIFEST)))
      .map((d) => new RunFolder(join(root, d.name)))
    : [];
  const current = resolve(runDir);
  if (!runs.some((r) => resolve(r.dir) === current)) runs.push(new RunFolder(runDir));
  const dated = runs.map((run) => ({ run, started: run.readManifest().startedAt }))
    .sort((a, b) => a.started.localeCompare(b.started));
  const upToCurrent = dated.slice(0, dated.findIndex((d) => resolve(d.run.dir) === current) + 1).slice(-limit);
  const history = new Map<string, HistoryEntry[]>();
  for (const { run } of upToCurrent) {
    for (const result of run.results()) {
      history.set(result.id, [...(history.get(result.id) ?? []), { run: run.dir, status: result.status }]);
    }
  }
  return history;
}
