// A run's job results as JUnit XML, the report format CI systems read (GitLab, Jenkins, GitHub
// test-report actions), built from the same results.jsonl lines as the dashboard.
// One <testsuite> per backend: CI pages list suites first, and "which exporter broke" is the first
// question; within it <testcase classname="backend.model" name="job id">, so Jenkins' package/class
// tree reads backend > model and the name is what `export-sweep replay` takes.
// Statuses: pass and partial pass; skipped is <skipped> with the entry's link; xfail is <skipped>
// "expected failure: ..." (as pytest's junitxml files an xfail); xpass is a <failure> "unexpectedly
// passed" (strict, as the run's exit code); broken is an <error> (the job never reached the exporter:
// the set-up failed, not a check); every other status (mismatch, export-error, crashed, ...) is a
// <failure> with the error headline and, in its body, the traceback, cause chain and native stderr.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { entryName } from '../skips/skip-list.js';
import type { JobResult } from '../sweep/job-result.js';
import { errorHeadline, expectationNote, failedStage } from './error-text.js';
import { replayCommand } from './model-report.js';

type Outcome = { kind: 'pass' } | { kind: 'skipped' | 'failure' | 'error'; message: string; type?: string; body?: string };

// XML 1.0 allows no control characters but tab, newline and carriage return; tracebacks and native
// stderr carry ANSI colour escapes, which would make the whole file unparsable.
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const esc = (text: string) => text.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  .replace(/"/g, '&quot;');
const attrs = (pairs: Record<string, string | number | undefined>) =>
  Object.entries(pairs).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}="${esc(String(v)).replace(/\n/g, '&#10;')}"`).join('');

/** The failure's whole text: where, the traceback, the cause chain, native stderr, how to replay. */
function failureBody(r: JobResult, runDir: string): string {
  const info = r.errorInfo;
  return [
    `job ${r.id}: ${r.status}${failedStage(r) ? ` at ${failedStage(r)}` : ''}`,
    info ? `${info.type}: ${info.message}` : r.error,
    info?.traceback,
    ...(info?.causes ?? []).map((c) => `caused by ${c.type}: ${c.message}`),
    (info?.stderrTail ?? r.stderrTail) && `native stderr (tail):\n${info?.stderrTail ?? r.stderrTail}`,
    r.fuzz && !r.fuzz.ok ? `fuzzing: ${r.fuzz.error}\nreplay: ${replayCommand(runDir, r)}` : undefined,
    expectationNote(r),
  ].filter(Boolean).join('\n\n');
}

export function junitOutcome(r: JobResult, runDir: string): Outcome {
  const headline = errorHeadline(r) ?? r.status;
  switch (r.status) {
    case 'pass': case 'partial': return { kind: 'pass' };
    case 'skipped': return { kind: 'skipped', message: `skipped by ${r.skip ? `${entryName(r.skip)} (${r.skip.file}:${r.skip.line}): ${r.skip.reason} ${r.skip.link}` : 'a skip-list entry'}` };
    case 'xfail': return { kind: 'skipped', message: `expected failure: ${headline}${r.skip ? ` (${entryName(r.skip)}, ${r.skip.link})` : ''}` };
    case 'xpass': return { kind: 'failure', type: 'xpass', message: `unexpectedly passed: ${expectationNote(r) ?? 'an xfail entry expected a failure'}`, body: failureBody(r, runDir) };
    case 'broken': return { kind: 'error', type: r.errorInfo?.type ?? 'broken', message: headline, body: failureBody(r, runDir) };
    default: return { kind: 'failure', type: r.status, message: headline, body: failureBody(r, runDir) };
  }
}

function testcase(r: JobResult, runDir: string): string {
  const outcome = junitOutcome(r, runDir);
  const open = `    <testcase${attrs({ classname: `${r.backend}.${r.model}`, name: r.id, time: (r.durationsMs.total / 1000).toFixed(3) })}`;
  const out = r.inputsNotFed?.length ? `      <system-out>${esc(`partial: inputs not fed (untested): ${r.inputsNotFed.join(', ')}`)}</system-out>\n` : '';
  if (outcome.kind === 'pass') return out ? `${open}>\n${out}    </testcase>` : `${open}/>`;
  const element = `<${outcome.kind}${attrs({ message: outcome.message, type: outcome.type })}`;
  const inner = outcome.body === undefined ? `${element}/>` : `${element}>${esc(outcome.body)}</${outcome.kind}>`;
  return `${open}>\n      ${inner}\n${out}    </testcase>`;
}

function counts(results: JobResult[], runDir: string) {
  const kinds = results.map((r) => junitOutcome(r, runDir).kind);
  const n = (kind: string) => kinds.filter((k) => k === kind).length;
  const seconds = results.reduce((sum, r) => sum + r.durationsMs.total, 0) / 1000;
  return { tests: results.length, failures: n('failure'), errors: n('error'), skipped: n('skipped'), time: seconds.toFixed(3) };
}

export function junitXml(results: JobResult[], runDir: string, name = 'export-sweep'): string {
  const backends = [...new Set(results.map((r) => r.backend))].sort();
  const suites = backends.map((backend) => {
    const own = results.filter((r) => r.backend === backend).sort((a, b) => a.id.localeCompare(b.id));
    return `  <testsuite${attrs({ name: backend, ...counts(own, runDir) })}>\n${own.map((r) => testcase(r, runDir)).join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${attrs({ name, ...counts(results, runDir) })}>\n${suites.join('\n')}\n</testsuites>\n`;
}

export function writeJunit(file: string, results: JobResult[], runDir: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, junitXml(results, runDir));
}
