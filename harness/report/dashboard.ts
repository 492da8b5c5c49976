// The run's dashboard (index.html): the matrix of models x backend/mode coloured by status, filters
// by family, task and status, a count per status (broken and partial apart from the exporter's
// failures), pass rates per backend over jobs run and over jobs that reached the exporter, export
// time per backend, each job's recent
// history, the drift against a baseline run when `export-sweep diff` wrote one, and a link to every
// per-model page.
import type { RunDiff } from '../drift/diff-runs.js';
import { blameLines } from '../drift/bisect-report.js';
import type { BisectReport } from '../drift/bisect.js';
import type { RunManifest } from '../results/run-folder.js';
import type { JobResult, JobStatus } from '../sweep/job-result.js';
import { exportTimePlot } from './export-time-plot.js';
import type { HistoryEntry } from './history.js';
import { errorHeadline, expectationNote, failedStage } from './error-text.js';
import { esc, fileName, formatError, page, STATUS_COLOURS, statusBadge } from './html.js';
import type { ModelReport } from './model-report.js';
import { formatRate, passRates, statusCounts, STATUS_ORDER } from './pass-rates.js';

export interface DashboardInput {
  runName: string;
  manifest: RunManifest;
  reports: ModelReport[];
  history: Map<string, HistoryEntry[]>;
  diff?: RunDiff;
  /** What `export-sweep bisect` found for this run's regressions, when it ran. */
  bisect?: BisectReport;
}

const STATUSES: readonly JobStatus[] = STATUS_ORDER;

/** A cell's tooltip: where and why it failed, or what a partial job left unfed. */
function cellTitle(job: JobResult): string {
  if (job.status === 'partial') return `partial: not fed ${job.inputsNotFed?.join(', ') || '?'}`;
  const headline = errorHeadline(job);
  const stage = failedStage(job);
  const note = expectationNote(job);
  const text = headline ? `${job.status}${stage ? ` at ${stage}` : ''}: ${headline}` : job.status;
  return note ? `${text}\n${note}` : text;
}

function options(values: string[]): string {
  return ['<option value="">all</option>', ...[...new Set(values)].filter(Boolean).sort().map((v) => `<option>${esc(v)}</option>`)].join('');
}

function historyStrip(entries: HistoryEntry[] | undefined): string {
  if (!entries || entries.length < 2) return '';
  return `<span class="hist" title="last ${entries.length} runs, oldest first">${entries.map((e) => `<i style="background:${STATUS_COLOURS[e.status]}" data-status="${esc(e.status)}"></i>`).join('')}</span>`;
}

function diffSection(diff: RunDiff | undefined): string {
  if (!diff) return '';
  const rows = diff.changes.map((c) => `<tr data-kind="${esc(c.kind)}"><td>${esc(c.kind)}</td><td>${esc(c.id)}</td><td>${esc(c.before ?? '-')}</td><td>${esc(c.after ?? '-')}</td><td>${esc(c.detail)}</td></tr>`);
  return `<h2>Drift against ${esc(diff.baseline)}</h2>
<p id="drift-summary">${Object.entries(diff.counts).map(([k, n]) => `${n} ${esc(k)}`).join(' &middot; ')}</p>
${rows.length ? `<table id="drift"><tr><th>change</th><th>job</th><th>before</th><th>after</th><th>detail</th></tr>${rows.join('')}</table>` : '<p>No changes.</p>'}`;
}

function bisectSection(bisect: BisectReport | undefined): string {
  if (!bisect) return '';
  const rows = blameLines(bisect).map((b) => `<tr><td>${esc(b.id)}</td><td>${esc(b.who)}</td><td>${esc(b.before)}</td><td>${esc(b.line)}</td><td>${b.where.map((u) => `<a href="${esc(u)}">${esc(u)}</a>`).join('<br>')}</td></tr>`);
  return `<h2>Bisect against ${esc(bisect.baseline.pins)}</h2>
<p id="bisect-summary">${bisect.jobs.length} regressed job(s); sets tried: ${bisect.sets.map((s) => esc(s.name)).join(', ') || 'none'}</p>
${rows.length ? `<table id="bisect"><tr><th>job</th><th>blamed move</th><th>under the base pins</th><th>under the blamed move</th><th>report at</th></tr>${rows.join('')}</table>` : '<p>No regressions.</p>'}`;
}

const FILTER_SCRIPT = `
const q = (s) => document.querySelector(s);
function applyFilters() {
  const family = q('#f-family').value, task = q('#f-task').value, status = q('#f-status').value, text = q('#f-text').value.toLowerCase();
  let shown = 0;
  for (const row of document.querySelectorAll('#matrix tbody tr')) {
    const ok = (!family || row.dataset.family === family) && (!task || row.dataset.task === task)
      && (!status || row.dataset.statuses.split(' ').includes(status)) && (!text || row.dataset.search.includes(text));
    row.hidden = !ok;
    if (ok) shown++;
  }
  q('#shown').textContent = shown;
}
for (const id of ['#f-family', '#f-task', '#f-status', '#f-text']) q(id).addEventListener('input', applyFilters);
`;

export function dashboardPage({ runName, manifest, reports, history, diff, bisect }: DashboardInput): string {
  const results = reports.flatMap((r) => r.jobs);
  const columns = [...new Set(results.map((r) => `${r.backend}/${r.mode}`))].sort();
  const rows = reports.map((report) => {
    const byColumn = new Map(report.jobs.map((j) => [`${j.backend}/${j.mode}`, j]));
    const statuses = [...new Set(report.jobs.map((j) => j.status))].join(' ');
    const href = `reports/${fileName(report.model)}.html`;
    const cells = columns.map((column) => {
      const job = byColumn.get(column);
      if (!job) return '<td></td>';
      const text = job.maxAbsError === undefined || job.maxAbsError === null || (job.status !== 'pass' && job.status !== 'partial') ? job.status : `${job.status} ${formatError(job.maxAbsError)}`;
      return `<td class="cell" data-status="${esc(job.status)}"><a href="${esc(href)}#${esc(job.id)}" title="${esc(cellTitle(job))}">${statusBadge(job.status, text)}</a>${historyStrip(history.get(job.id))}</td>`;
    });
    return `<tr data-family="${esc(report.family)}" data-task="${esc(report.task)}" data-statuses="${esc(statuses)}" data-search="${esc(`${report.model} ${report.class}`.toLowerCase())}">
<td><a class="model" href="${esc(href)}">${esc(report.model)}</a></td><td>${esc(report.class)}</td><td>${esc(report.family)}</td><td>${esc(report.task)}</td>${cells.join('')}</tr>`;
  });
  const totals = passRates(results).map((rates) => {
    const counts = STATUSES.map((s) => `<td class="num" data-count="${s}">${rates.counts[s]}</td>`).join('');
    return `<tr data-backend="${esc(rates.backend)}"><td>${esc(rates.backend)}</td><td class="num" data-pass-rate>${formatRate(rates.all)}</td><td class="num" data-reached-pass-rate>${formatRate(rates.reached)}</td>${counts}</tr>`;
  });
  const runCounts = statusCounts(results);
  const points = results.filter((r) => r.durationsMs.export !== undefined).map((r) => ({ backend: r.backend, ms: r.durationsMs.export!, label: r.id }));
  // a skip-list entry that no longer holds first: an xpass or another error fails the run
  const findings = results.filter((r) => (r.fuzz && !r.fuzz.ok && r.status !== 'xfail') || r.staleSkip || r.unexpectedError).map((r) => {
    const note = r.staleSkip || r.unexpectedError ? expectationNote(r) : undefined;
    return `<li>${esc(r.id)}: ${note ? esc(note) : `${esc(r.fuzz!.error)}<br><code>${esc(r.replay)}</code>`}</li>`;
  });
  const m = manifest;
  const versions = Object.entries(m.versions).map(([k, v]) => `${esc(k)} ${esc(v ?? 'n/a')}`).join(', ');
  const body = `<h1>export-sweep: ${esc(runName)}</h1>
<p class="meta">pins ${esc(m.pins.name)} (${esc(m.pins.key)}) &middot; ${versions}<br>
commit ${esc(m.git.commit?.slice(0, 10) ?? '?')}${m.git.dirty ? ' (dirty)' : ''} &middot; ${esc(m.machine.hostname)}: ${m.machine.cpus} cores, ${m.machine.memoryGb} GB, node ${esc(m.machine.node)}<br>
${results.length} of ${m.jobs.length} jobs${results.some((r) => r.resultCached) ? ` (${results.filter((r) => r.resultCached).length} results reused from the cache)` : ''} &middot; ${m.selection.models.length} models &middot; fuzz ${m.selection.shapes} shapes, seed ${m.selection.seed}${m.selection.shard ? ` &middot; shard ${m.selection.shard.index}/${m.selection.shard.count}` : ''} &middot; ${esc(m.startedAt)} &rarr; ${esc(m.endedAt ?? 'unfinished')}</p>
<p id="status-counts">${STATUSES.filter((s) => runCounts[s]).map((s) => `<span data-count="${s}">${statusBadge(s, `${runCounts[s]} ${s}`)}</span>`).join(' ')}</p>
<h2>Pass rate per backend</h2>
<p class="meta">Passed (pass, partial or xpass) over the jobs run (skipped jobs left out; xfail jobs ran and count as not passed), and over the jobs that reached the exporter (broken jobs left out too: the harness failed them before any export).</p>
<table id="totals" class="totals"><tr><th>backend</th><th>pass rate, jobs run</th><th>pass rate, reached exporter</th>${STATUSES.map((s) => `<th>${statusBadge(s)}</th>`).join('')}</tr>${totals.join('')}</table>
<h2>Matrix</h2>
<div class="filters"><label>family <select id="f-family">${options(reports.map((r) => r.family))}</select></label>
<label>task <select id="f-task">${options(reports.map((r) => r.task))}</select></label>
<label>status <select id="f-status">${options(results.map((r) => r.status))}</select></label>
<label>search <input id="f-text" placeholder="model or class"></label>
<span class="meta"><span id="shown">${reports.length}</span> of ${reports.length} models shown</span></div>
<table id="matrix"><thead><tr><th>model</th><th>class</th><th>family</th><th>task</th>${columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
${findings.length ? `<h2>Findings</h2><ul id="findings">${findings.join('')}</ul>` : ''}
<h2>Export time per backend</h2>${exportTimePlot(points)}
${diffSection(diff)}
${bisectSection(bisect)}`;
  return page(`export-sweep ${runName}`, body, FILTER_SCRIPT);
}
