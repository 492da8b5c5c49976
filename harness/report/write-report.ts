// Writes a run folder's reports: index.html (the dashboard), summary.json (counts and pass rates per
// backend, for scripts and CI), reports/<model>.html and .json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunDiff } from '../drift/diff-runs.js';
import type { BisectReport } from '../drift/bisect.js';
import { RunFolder } from '../results/run-folder.js';
import type { JobResult, JobStatus } from '../sweep/job-result.js';
import { dashboardPage } from './dashboard.js';
import { jobHistory } from './history.js';
import { fileName } from './html.js';
import { modelPage, modelReports } from './model-report.js';
import { passRates, statusCounts, type BackendRates } from './pass-rates.js';

export interface WrittenReport { index: string; summary: string; models: string[] }

/** RUN/summary.json: what the dashboard's header and totals say, as data. */
export interface RunSummary {
  run: string;
  jobs: number;
  /** Jobs with a result (fewer than ``jobs`` while a run is unfinished). */
  results: number;
  counts: Record<JobStatus, number>;
  /** Per backend: counts, the pass rate over jobs run and over jobs that reached the exporter. */
  backends: BackendRates[];
}

export function runSummary(run: string, jobs: number, results: JobResult[]): RunSummary {
  return { run, jobs, results: results.length, counts: statusCounts(results), backends: passRates(results) };
}

export function writeRunReport(runDir: string, options: { historyLimit?: number } = {}): WrittenReport {
  const folder = new RunFolder(runDir);
  const manifest = folder.readManifest();
  const results = folder.results();
  const reports = modelReports(runDir, manifest, results);
  const dir = join(runDir, 'reports');
  mkdirSync(dir, { recursive: true });
  const models = reports.map((report) => {
    const base = join(dir, fileName(report.model));
    writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 1)}\n`);
    writeFileSync(`${base}.html`, modelPage(report));
    return `${base}.html`;
  });
  const summary = join(runDir, 'summary.json');
  writeFileSync(summary, `${JSON.stringify(runSummary(basename(runDir), manifest.jobs.length, results), null, 1)}\n`);
  const written = <T>(name: string): T | undefined => (existsSync(join(runDir, name)) ? (JSON.parse(readFileSync(join(runDir, name), 'utf8')) as T) : undefined);
  const diff = written<RunDiff>('diff.json');
  const bisect = written<BisectReport>('bisect.json');
  const index = join(runDir, 'index.html');
  writeFileSync(index, dashboardPage({ runName: basename(runDir), manifest, reports, history: jobHistory(runDir, options.historyLimit), diff, bisect }));
  return { index, summary, models };
}
