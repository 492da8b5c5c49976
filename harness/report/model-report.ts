// The per-model export report: every job of one model class (backend x static/dynamic) with status,
// durations, artifact size, error per output leaf, the smallest failing shape and its replay, the
// skip-list entry and its link, the installed versions and the error text. JSON and HTML.
import type { RunManifest } from '../results/run-folder.js';
import type { JobResult } from '../sweep/job-result.js';
import { esc, formatBytes, formatError, formatMs, page, statusBadge } from './html.js';

export interface ModelReport {
  model: string;
  class: string;
  family: string;
  task: string;
  versions: Record<string, string | null>;
  pins: string;
  commit: string | null;
  jobs: (JobResult & { replay?: string })[];
}

export function replayCommand(runDir: string, result: JobResult): string | undefined {
  if (!result.fuzz || result.fuzz.ok) return undefined;
  return `npx export-sweep replay ${runDir} ${result.id} --seed ${result.fuzz.seed}${result.fuzz.path ? ` --path ${result.fuzz.path}` : ''}`;
}

/** The repo's own class says so wherever the class is shown (model page, dashboard matrix). */
const remoteLabel = (code: JobResult['remoteCode']) => code && `${code.module}.${code.class} (remote code: ${code.files.join(', ')})`;

export function modelReports(runDir: string, manifest: RunManifest, results: JobResult[]): ModelReport[] {
  const entries = new Map(manifest.selection.models.map((m) => [m.id, m]));
  const byModel = new Map<string, JobResult[]>();
  for (const r of results) byModel.set(r.model, [...(byModel.get(r.model) ?? []), r]);
  return [...byModel.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([model, jobs]) => ({
    model,
    class: remoteLabel(jobs.find((r) => r.remoteCode)?.remoteCode) ?? jobs[0].modelClass,
    family: entries.get(model)?.model_type ?? '',
    task: entries.get(model)?.task ?? '',
    versions: manifest.versions,
    pins: manifest.pins.name,
    commit: manifest.git.commit,
    jobs: jobs.sort((a, b) => a.id.localeCompare(b.id)).map((r) => ({ ...r, replay: replayCommand(runDir, r) })),
  }));
}

/** A generate job's tokens per prompt length and row: eager's, the artifact's, and where they part. */
function generationSection(generation: NonNullable<JobResult['generation']>): string {
  const rows = generation.prompts.flatMap((prompt) => prompt.eager.map((eager, row) => {
    const failure = prompt.failures.find((f) => f.row === row);
    const tie = prompt.ties.find((t) => t.row === row);
    const verdict = failure ? `differs at step ${failure.step} (top-2 gap ${failure.gap.toExponential(2)})` : tie ? `tie at step ${tie.step} (gap ${tie.gap.toExponential(2)})` : `all ${generation.steps} match`;
    return `<tr><td class="num">${prompt.length}</td><td class="num">${row}</td><td><code>${esc(eager.join(' '))}</code></td><td><code>${esc((prompt.exported[row] ?? []).join(' '))}</code></td><td>${esc(verdict)}</td></tr>`;
  }));
  return `<p>Greedy generation, ${generation.steps} new tokens, loop in ${esc(generation.runtime)}:</p>
<table><tr><th>prompt length</th><th>row</th><th>eager tokens</th><th>exported tokens</th><th>verdict</th></tr>${rows.join('')}</table>`;
}

function jobSection(job: ModelReport['jobs'][number]): string {
  const d = job.durationsMs;
  const sample = job.shapes[0];
  const leafRows = (sample?.checks ?? []).flatMap((check) => (check.leaves ?? check.failures).map((leaf) =>
    `<tr><td>${esc(check.runtime)} vs ${esc(check.against)}</td><td>${esc(leaf.name)}</td><td class="num">${formatError(leaf.maxAbsError)}</td><td class="num">${formatError(leaf.maxRelError)}</td></tr>`));
  const fuzz = job.fuzz
    ? `<p>Fuzzed ${job.fuzz.cases} shapes (seed ${job.fuzz.seed}, ${job.fuzz.shrinks} shrinks): ${job.fuzz.ok ? 'all match eager' : esc(job.fuzz.error)}</p>`
    : '';
  const failing = job.fuzz?.counterexample
    ? `<p><b>Smallest failing shape</b>: batch ${job.fuzz.counterexample.batch}, sequence ${job.fuzz.counterexample.seq}, padding ${esc(job.fuzz.counterexample.padding)}, values seed ${job.fuzz.counterexample.seed}</p><pre>${esc(job.replay)}</pre>`
    : '';
  const skip = job.skip
    ? `<p><b>Skip list</b> (${esc(job.skip.file)}:${job.skip.line}): ${esc(job.skip.reason)} TODO: ${esc(job.skip.todo)} <a href="${esc(job.skip.link)}">${esc(job.skip.link)}</a>${job.staleSkip ? ' <b>stale: this job passes now</b>' : ''}${job.probed ? ` (probed: ${esc(job.probed)})` : ''}</p>`
    : '';
  const generation = job.generation ? generationSection(job.generation) : '';
  const cached = job.resultCached ? '<p class="meta">Result reused: this job passed in an earlier run and nothing that decides it (model, export config, pins, exporter and checking code, fuzz seed) has changed since, so nothing ran in this run (<code>--no-artifact-cache</code> runs it again).</p>' : '';
  const workaround = job.workaround ? `<p>Exported with <code>optimize=False</code> (${esc(job.workaround.file)}:${job.workaround.line}, <a href="${esc(job.workaround.link)}">${esc(job.workaround.link)}</a>)</p>` : '';
  return `<section class="job" id="${esc(job.id)}" data-status="${esc(job.status)}">
<h2>${esc(job.backend)} / ${esc(job.mode)} ${statusBadge(job.status)}</h2>
<table><tr><th>load</th><th>export</th><th>eager</th><th>artifact run</th><th>other runtimes</th><th>fuzz</th><th>total</th><th>artifact</th><th>peak memory</th><th>max abs</th><th>max rel</th></tr>
<tr><td class="num">${formatMs(d.load)}</td><td class="num">${formatMs(d.export)}</td><td class="num">${formatMs(d.eager)}</td><td class="num">${formatMs(d.run)}</td><td class="num">${formatMs(d.crossRun)}</td><td class="num">${formatMs(d.fuzz)}</td><td class="num">${formatMs(d.total)}</td><td class="num">${formatBytes(job.artifactBytes)}</td><td class="num">${job.peakRssMb ? `${job.peakRssMb} MB` : '-'}</td><td class="num">${formatError(job.maxAbsError)}</td><td class="num">${formatError(job.maxRelError)}</td></tr></table>
${cached}${skip}${workaround}${fuzz}${failing}${generation}
${leafRows.length ? `<table><tr><th>runtime</th><th>output leaf</th><th>max abs</th><th>max rel</th></tr>${leafRows.join('')}</table>` : ''}
${job.error ? `<pre class="error">${esc(job.stage ? `[${job.stage}] ` : '')}${esc(job.error)}${job.stderrTail ? `\n\n--- worker stderr (tail) ---\n${esc(job.stderrTail)}` : ''}</pre>` : ''}
</section>`;
}

export function modelPage(report: ModelReport): string {
  const versions = Object.entries(report.versions).map(([k, v]) => `${esc(k)} ${esc(v ?? 'n/a')}`).join(', ');
  return page(`${report.class}: export report`, `<p><a href="../index.html">&larr; dashboard</a></p>
<h1>${esc(report.class)}</h1>
<p class="meta">model ${esc(report.model)} &middot; family ${esc(report.family || '-')} &middot; task ${esc(report.task || '-')} &middot; pins ${esc(report.pins)} &middot; commit ${esc(report.commit?.slice(0, 10) ?? '?')}<br>${versions}</p>
${report.jobs.map(jobSection).join('\n')}`);
}
