// The per-model export report: every job of one model class (backend x static/dynamic) with status,
// durations, artifact size, error per output leaf (tolerance, worst element, share out of tolerance,
// or the expected and actual shape/dtype), the smallest failing shape and its replay, the skip-list
// entry and its link, the installed versions. A failed job shows the stage ladder it climbed, the
// error whole (type, message, traceback, cause chain, native stderr) and a link to its repro.md; a
// partial job what it fed and did not; a reused result the run it came from. JSON and HTML.
import type { LeafComparison } from '../compare/compare.js';
import type { RunManifest } from '../results/run-folder.js';
import { failedWhenRun, STAGES, type JobResult, type RuntimeCheck, type Stage } from '../sweep/job-result.js';
import { expectationNote, failedStage, reproFile } from './error-text.js';
import { esc, formatBytes, formatError, formatMs, page, statusBadge } from './html.js';

export interface ModelReport {
  model: string;
  class: string;
  family: string;
  task: string;
  versions: Record<string, string | null>;
  pins: string;
  commit: string | null;
  /** Each job with, where they apply, its fuzz replay command and its repro.md (relative to the run folder). */
  jobs: (JobResult & { replay?: string; repro?: string })[];
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
    jobs: jobs.sort((a, b) => a.id.localeCompare(b.id)).map((r) => ({ ...r, replay: replayCommand(runDir, r), repro: reproFile(runDir, r.id) })),
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

const inputList = (names: string[] | undefined) => (names?.length ? names.map((n) => `<code>${esc(n)}</code>`).join(', ') : '-');

/** The rungs a job climbs, given its mode: only dynamic jobs fuzz, only generate jobs generate. */
function rungsFor(job: JobResult): Stage[] {
  return STAGES.filter((s) => (s !== 'fuzz' || job.mode === 'dynamic') && (s !== 'generate' || job.mode === 'generate'));
}

/** The stage ladder: rungs reached, the failing one marked, the rest not reached. */
function ladder(job: JobResult): string {
  if (!job.stages?.length || job.status === 'skipped') return '';
  const failedRung = failedWhenRun(job) ? (failedStage(job)?.split(':')[0] ?? job.stages.at(-1)) : undefined;
  const rungs = [...new Set([...rungsFor(job), ...job.stages])].sort((a, b) => STAGES.indexOf(a) - STAGES.indexOf(b));
  const items = rungs.map((rung) => {
    const state = rung === failedRung ? 'failed' : job.stages!.includes(rung) ? 'reached' : 'not-reached';
    const label = rung === failedRung ? `${rung} \u2717` : job.stages!.includes(rung) ? `${rung} \u2713` : rung;
    return `<li data-rung="${esc(rung)}" data-state="${state}">${esc(label)}</li>`;
  });
  return `<ol class="ladder" title="stages reached">${items.join('')}</ol>`;
}

function formatShape(shape: number[] | undefined): string {
  return shape ? `[${shape.join(', ')}]` : '?';
}

/** One leaf's row. A shape or dtype mismatch has no error size: show what was expected and what came. */
function leafRow(check: RuntimeCheck, name: string, errors: { maxAbsError: number | null; maxRelError: number | null }, leaf?: LeafComparison): string {
  const where = `<td>${esc(check.runtime)} vs ${esc(check.against)}</td><td>${esc(name)}</td>`;
  if (leaf?.problem === 'shape' || leaf?.problem === 'dtype' || leaf?.problem === 'missing' || leaf?.problem === 'unexpected') {
    const what = leaf.problem === 'shape'
      ? `shape: expected ${formatShape(leaf.expectedShape)}, got ${formatShape(leaf.actualShape)}`
      : leaf.problem === 'dtype' ? `dtype: expected ${esc(leaf.dtype ?? '?')}, got ${esc(leaf.actualDtype ?? 'another')}`
        : leaf.problem === 'missing' ? 'missing from the artifact\'s outputs' : 'not in eager\'s outputs';
    return `<tr data-leaf="${esc(name)}" data-problem="${esc(leaf.problem)}">${where}<td colspan="5" class="problem">${what}</td></tr>`;
  }
  // the absolute term grows with the leaf's scale (harness/compare/tolerance.ts): show what it came to
  const tolerance = leaf?.tolerance
    ? `atol ${formatError(leaf.tolerance.effectiveAtol ?? leaf.tolerance.atol)} / rtol ${leaf.tolerance.rtol}${leaf.tolerance.scale ? ` (scale ${formatError(leaf.tolerance.scale)})` : ''}`
    : '-';
  const worst = leaf?.worstIndex ? formatShape(leaf.worstIndex) : '-';
  const share = leaf ? `${(100 * leaf.outOfToleranceShare).toPrecision(3)}%` : '-';
  return `<tr data-leaf="${esc(name)}"${leaf?.problem ? ` data-problem="${esc(leaf.problem)}"` : ''}>${where}<td class="num">${formatError(errors.maxAbsError)}</td><td class="num">${formatError(errors.maxRelError)}</td><td class="num">${tolerance}</td><td class="num">${worst}</td><td class="num">${share}</td></tr>`;
}

/** Every leaf of one runtime check: all leaves when the engine kept them, the failing ones in full. */
function leafTableRows(check: RuntimeCheck): string[] {
  const failures = new Map(check.failures.map((f) => [f.name, f]));
  const names = [...(check.leaves ?? []).map((l) => l.name), ...check.failures.map((f) => f.name)];
  return [...new Set(names)].map((name) => {
    const full = failures.get(name);
    const brief = check.leaves?.find((l) => l.name === name);
    return leafRow(check, name, full ?? brief!, full);
  });
}

/** A failed job's error whole: where, what, the traceback, the cause chain, native stderr, the repro. */
function failureSection(job: ModelReport['jobs'][number]): string {
  if (!job.errorInfo && !job.error && !job.stderrTail) return '';
  const repro = job.repro ? `<p class="repro">Reproduce: <a href="../${esc(job.repro)}">${esc(job.repro)}</a></p>` : '';
  const stderr = job.errorInfo?.stderrTail ?? job.stderrTail;
  const stderrBlock = stderr ? `<details open><summary>native stderr (tail)</summary><pre class="stderr">${esc(stderr)}</pre></details>` : '';
  if (!job.errorInfo) {
    return `<pre class="error">${esc(job.stage ? `[${job.stage}] ` : '')}${esc(job.error ?? '')}</pre>${stderrBlock}${repro}`;
  }
  const info = job.errorInfo;
  const causes = (info.causes ?? []).map((c) => `${c.type}: ${c.message}`);
  return `<div class="failure" data-stage="${esc(info.stage)}" data-type="${esc(info.type)}">
<p><b>${esc(info.type)}</b> at <b>${esc(info.stage)}</b>${job.status === 'broken' ? ' (the job never reached the exporter: a harness problem, not an export failure)' : ''}</p>
<pre class="error">${esc(info.message)}</pre>
${causes.length ? `<p>Cause chain, outermost first:</p><ol class="causes">${causes.map((c) => `<li><pre>${esc(c)}</pre></li>`).join('')}</ol>` : ''}
${info.traceback ? `<details open><summary>traceback</summary><pre class="traceback">${esc(info.traceback)}</pre></details>` : ''}
${stderrBlock}${repro}</div>`;
}

function jobSection(job: ModelReport['jobs'][number]): string {
  const d = job.durationsMs;
  const sample = job.shapes[0];
  const leafRows = (sample?.checks ?? []).flatMap(leafTableRows);
  const fuzz = job.fuzz
    ? `<p>Fuzzed ${job.fuzz.cases} shapes (seed ${job.fuzz.seed}, ${job.fuzz.shrinks} shrinks): ${job.fuzz.ok ? 'all match eager' : esc(job.fuzz.error)}</p>`
    : '';
  const failing = job.fuzz?.counterexample
    ? `<p><b>Smallest failing shape</b>: batch ${job.fuzz.counterexample.batch}, sequence ${job.fuzz.counterexample.seq}, padding ${esc(job.fuzz.counterexample.padding)}, values seed ${job.fuzz.counterexample.seed}</p><pre>${esc(job.replay)}</pre>`
    : '';
  const skip = job.skip
    ? `<p><b>Skip list, ${esc(job.skip.kind ?? 'skip')}</b> (${esc(job.skip.file)}:${job.skip.line}): ${esc(job.skip.reason)} TODO: ${esc(job.skip.todo)} <a href="${esc(job.skip.link)}">${esc(job.skip.link)}</a>${job.skip.error ? ` Expected error: <code>/${esc(job.skip.error)}/</code>.` : ''}${expectationNote(job) ? ` <b data-expectation>${esc(expectationNote(job))}</b>` : job.probed ? ` (probed: ${esc(job.probed)})` : ''}</p>`
    : '';
  const generation = job.generation ? generationSection(job.generation) : '';
  const cached = job.resultCached ? '<p class="meta">Result reused: this job passed in an earlier run and nothing that decides it (model, export config, pins, exporter and checking code, fuzz seed) has changed since, so nothing ran in this run (<code>--no-artifact-cache</code> runs it again).</p>' : '';
  const reused = job.reusedFrom
    ? `<p class="reused">Reused from run <code>${esc(job.reusedFrom.runDir)}</code> (finished ${esc(job.reusedFrom.finishedAt)}).</p>`
    : '';
  const partial = job.status === 'partial' || job.inputsNotFed?.length
    ? `<p class="inputs"><b>Inputs fed</b>: ${inputList(job.inputsFed)} &middot; <b>not fed</b> (untested): ${inputList(job.inputsNotFed)}</p>`
    : '';
  const workaround = job.workaround ? `<p>Exported with <code>optimize=False</code> (${esc(job.workaround.file)}:${job.workaround.line}, <a href="${esc(job.workaround.link)}">${esc(job.workaround.link)}</a>)</p>` : '';
  return `<section class="job" id="${esc(job.id)}" data-status="${esc(job.status)}">
<h2>${esc(job.backend)} / ${esc(job.mode)} ${statusBadge(job.status)}</h2>
<table><tr><th>load</th><th>export</th><th>eager</th><th>artifact run</th><th>other runtimes</th><th>fuzz</th><th>total</th><th>artifact</th><th>peak memory</th><th>max abs</th><th>max rel</th></tr>
<tr><td class="num">${formatMs(d.load)}</td><td class="num">${formatMs(d.export)}</td><td class="num">${formatMs(d.eager)}</td><td class="num">${formatMs(d.run)}</td><td class="num">${formatMs(d.crossRun)}</td><td class="num">${formatMs(d.fuzz)}</td><td class="num">${formatMs(d.total)}</td><td class="num">${formatBytes(job.artifactBytes)}</td><td class="num">${job.peakRssMb ? `${job.peakRssMb} MB` : '-'}</td><td class="num">${formatError(job.maxAbsError)}</td><td class="num">${formatError(job.maxRelError)}</td></tr></table>
${ladder(job)}${cached}${reused}${partial}${skip}${workaround}${fuzz}${failing}${generation}
${leafRows.length ? `<table class="leaves"><tr><th>runtime</th><th>output leaf</th><th>max abs</th><th>max rel</th><th>tolerance</th><th>worst index</th><th>out of tolerance</th></tr>${leafRows.join('')}</table>` : ''}
${failureSection(job)}
</section>`;
}

export function modelPage(report: ModelReport): string {
  const versions = Object.entries(report.versions).map(([k, v]) => `${esc(k)} ${esc(v ?? 'n/a')}`).join(', ');
  return page(`${report.class}: export report`, `<p><a href="../index.html">&larr; dashboard</a></p>
<h1>${esc(report.class)}</h1>
<p class="meta">model ${esc(report.model)} &middot; family ${esc(report.family || '-')} &middot; task ${esc(report.task || '-')} &middot; pins ${esc(report.pins)} &middot; commit ${esc(report.commit?.slice(0, 10) ?? '?')}<br>${versions}</p>
${report.jobs.map(jobSection).join('\n')}`);
}
