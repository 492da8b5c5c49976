// A bisect's findings for people: one line per regressed job with the package to blame, its versions,
// both error lines and the project's issue tracker, as a terminal table and as Markdown.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alignColumns, markdownCell } from '../report/text-columns.js';
import type { BisectedJob, BisectReport } from './bisect.js';
import { moveText, type PinMove } from './pin-moves.js';

// where each pinned project takes bug reports; any other package: its PyPI page
const TRACKERS: Record<string, string> = {
  torch: 'https://github.com/pytorch/pytorch/issues',
  executorch: 'https://github.com/pytorch/executorch/issues',
  transformers: 'https://github.com/huggingface/transformers/issues',
  onnx: 'https://github.com/onnx/onnx/issues',
  onnxscript: 'https://github.com/microsoft/onnxscript/issues',
  onnxruntime: 'https://github.com/microsoft/onnxruntime/issues',
  safetensors: 'https://github.com/huggingface/safetensors/issues',
  timm: 'https://github.com/huggingface/pytorch-image-models/issues',
  torchvision: 'https://github.com/pytorch/vision/issues',
};

export const trackerOf = (name: string): string => TRACKERS[name] ?? `https://pypi.org/project/${name}/`;

const VERDICTS: Record<BisectedJob['verdict'], string> = {
  blamed: 'blamed',
  flaky: 'did not reproduce under the new pins (flaky): no package blamed',
  'not-pins': 'fails under the base pins too, at this commit: the harness or the exporters changed, not the pins',
  'whole-bump': 'no smaller move makes it fail: only the whole bump does (the moves break it together)',
  undecided: 'undecided: the sets that could tell were not tried (--max-sets) or did not resolve',
};

const movesCell = (moves: PinMove[]) => moves.map(moveText).join(' + ');

/** One regressed job as every rendering shows it. ``who``: the move(s) blamed, or the verdict;
 * ``before``: the job under the base pins; ``line``: its error under the blamed move (or its last
 * run); ``where``: the issue trackers to report it at. */
export interface BlameLine { id: string; who: string; before: string; line: string; where: string[] }

export function blameLines(report: BisectReport): BlameLine[] {
  return report.jobs.map((job) => {
    if (job.verdict !== 'blamed') return { id: job.id, who: VERDICTS[job.verdict], before: job.before, line: job.outcomes.at(-1)?.line ?? job.after, where: [] };
    return {
      id: job.id,
      who: job.culprits.map((c) => movesCell(c.moves)).join(' | or | '),
      before: job.before,
      line: job.culprits[0].outcome.line,
      where: [...new Set(job.culprits.flatMap((c) => c.moves.map((m) => trackerOf(m.name))))],
    };
  });
}

export function bisectTable(report: BisectReport): string {
  const head = `bisect: ${report.current.run} (${report.current.pins}) against ${report.baseline.run} (${report.baseline.pins}); moved: ${report.moves.map(moveText).join(', ')}`;
  if (!report.jobs.length) return `${head}\nno regressions${report.regressions ? '' : ' between the two runs'}: nothing to bisect`;
  const rows = blameLines(report).map((b) => [b.id, b.who, b.line.slice(0, 100), b.where.join(' ')]);
  const unresolved = report.sets.filter((s) => s.conflict);
  return [
    head, '', alignColumns(['job', 'culprit', 'error under it', 'report at'], rows),
    ...(unresolved.length ? ['', 'sets that do not resolve:', ...unresolved.map((s) => `  ${s.name}: ${s.conflict}`)] : []),
    ...(report.untried.length ? ['', `not tried (--max-sets): ${report.untried.join(', ')}`] : []),
  ].join('\n');
}

/** What the regressed jobs did under one set: ``fails: export-error`` for one job, counts for more. */
function setOutcome(report: BisectReport, set: string): string {
  const outcomes = report.jobs.flatMap((j) => j.outcomes.filter((o) => o.set === set));
  if (outcomes.length === 1) return outcomes[0].failed ? `fails: ${outcomes[0].status}` : outcomes[0].status === 'pass' ? 'passes' : outcomes[0].status;
  return `${outcomes.filter((o) => o.failed).length} of ${outcomes.length} job(s) fail`;
}


export function bisectMarkdown(report: BisectReport): string {
  const lines = [
    `### export-sweep bisect: \`${report.current.pins}\` against \`${report.baseline.pins}\``,
    '',
    `Runs: \`${report.baseline.run}\` and \`${report.current.run}\`. Direct requirements moved: ${report.moves.map((m) => `\`${moveText(m)}\``).join(', ')}.`,
    '',
  ];
  if (!report.jobs.length) return [...lines, 'No regressions: nothing to bisect.', ''].join('\n');
  lines.push(
    '| job | blamed move | under the base pins | under the blamed move | report at |',
    '|---|---|---|---|---|',
    ...blameLines(report).map((b) => `| \`${b.id}\` | ${markdownCell(b.who)} | ${markdownCell(b.before)} | ${markdownCell(b.line)} | ${b.where.join('<br>')} |`),
    '',
    'Sets tried (each its own resolved pin set and environment; runs under `bisect/` in the new run folder):',
    '',
    '| set | moves | outcome |',
    '|---|---|---|',
    ...report.sets.map((s) => `| \`${s.name}\` | ${markdownCell(movesCell(s.moves) || 'none (the base pins)')} | ${s.conflict ? `does not resolve: ${markdownCell(s.conflict)}` : setOutcome(report, s.name)} |`),
  );
  if (report.untried.length) lines.push('', `Not tried (--max-sets reached): ${report.untried.map((n) => `\`${n}\``).join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

/** NEW_RUN/bisect.json (which NEW_RUN's dashboard shows) and NEW_RUN/bisect.md; returns the Markdown's path. */
export function writeBisectFiles(newRun: string, report: BisectReport): string {
  writeFileSync(join(newRun, 'bisect.json'), `${JSON.stringify(report, null, 1)}\n`);
  writeFileSync(join(newRun, 'bisect.md'), bisectMarkdown(report));
  return join(newRun, 'bisect.md');
}
