// Writes a run folder's reports: index.html (the dashboard), reports/<model>.html and .json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunDiff } from '../drift/diff-runs.js';
import { RunFolder } from '../results/run-folder.js';
import { dashboardPage } from './dashboard.js';
import { jobHistory } from './history.js';
import { fileName } from './html.js';
import { modelPage, modelReports } from './model-report.js';

export interface WrittenReport { index: string; models: string[] }

export function writeRunReport(runDir: string, options: { historyLimit?: number } = {}): WrittenReport {
  const folder = new RunFolder(runDir);
  const manifest = folder.readManifest();
  const reports = modelReports(runDir, manifest, folder.results());
  const dir = join(runDir, 'reports');
  mkdirSync(dir, { recursive: true });
  const models = reports.map((report) => {
    const base = join(dir, fileName(report.model));
    writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 1)}\n`);
    writeFileSync(`${base}.html`, modelPage(report));
    return `${base}.html`;
  });
  const diffPath = join(runDir, 'diff.json');
  const diff = existsSync(diffPath) ? (JSON.parse(readFileSync(diffPath, 'utf8')) as RunDiff) : undefined;
  const index = join(runDir, 'index.html');
  writeFileSync(index, dashboardPage({ runName: basename(runDir), manifest, reports, history: jobHistory(runDir, options.historyLimit), diff }));
  return { index, models };
}
