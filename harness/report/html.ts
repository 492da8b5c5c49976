// The pieces every report page shares: escaping, one stylesheet, status colours. Pages are single
// static files with inline CSS and script, so they work opened from disk and offline.
import { createHash } from 'node:crypto';
import type { JobStatus } from '../sweep/job-result.js';

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export const STATUS_COLOURS: Record<JobStatus, string> = {
  pass: '#2e9e5b', partial: '#7fbf8f', broken: '#3b4a8c', mismatch: '#d9822b', 'runtimes-disagree': '#c7a500', 'export-error': '#c23030', 'runtime-error': '#a8327a',
  crashed: '#6b2fa0', timeout: '#5a6b7b', skipped: '#a0a7ad',
  // an expected failure is grey like a skip, a bit darker since it ran; a stale xpass stands out
  xfail: '#7d868e', xpass: '#e0409a',
};

/** A model's report file name (no extension), unique per id: where sanitising changed the id, a
 * short hash of the whole id is added, since `local:/a/b c` and `local:/a/b_c` both sanitise to
 * `local_a_b_c` and each overwrote the other's page. Ids that are already safe keep their name. */
export function fileName(modelId: string): string {
  const safe = modelId.replace(/[^A-Za-z0-9._-]+/g, '_');
  return safe === modelId ? safe : `${safe}-${createHash('sha256').update(modelId).digest('hex').slice(0, 8)}`;
}

export function formatMs(ms: number | undefined): string {
  return ms === undefined ? '-' : ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  return bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

export function formatError(value: number | undefined | null): string {
  if (value === undefined || value === null) return '-';
  if (!Number.isFinite(value)) return 'inf';
  return value === 0 ? '0' : value.toExponential(1);
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#1d2329;background:#fafbfc}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#5c6670;font-size:12.5px}
table{border-collapse:collapse;background:#fff}th,td{border:1px solid #dde2e6;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f1f3f5;font-weight:600}
.status{display:inline-block;color:#fff;border-radius:3px;padding:1px 6px;font-size:12px;white-space:nowrap}
td.cell a{color:inherit;text-decoration:none}
.filters{display:flex;gap:12px;margin:12px 0;flex-wrap:wrap}.filters label{font-size:13px}
.totals td{font-weight:600}
pre{background:#f4f5f7;padding:8px;overflow:auto;max-width:1100px;white-space:pre-wrap}
.hist{display:inline-flex;gap:1px;margin-left:4px;vertical-align:middle}.hist i{width:6px;height:10px;display:inline-block}
.num{text-align:right;font-variant-numeric:tabular-nums}
.ladder{display:flex;gap:4px;list-style:none;padding:0;margin:8px 0}.ladder li{padding:1px 8px;border-radius:3px;font-size:12px;background:#e9ecef;color:#5c6670}
.ladder li[data-state=reached]{background:#2e9e5b;color:#fff}.ladder li[data-state=failed]{background:#c23030;color:#fff;font-weight:600}
.causes pre{margin:2px 0}td.problem{color:#c23030}
`;

export function page(title: string, body: string, script = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head>
<body>${body}${script ? `<script>${script}</script>` : ''}</body></html>
`;
}

export function statusBadge(status: JobStatus, text: string = status): string {
  return `<span class="status" data-status="${esc(status)}" style="background:${STATUS_COLOURS[status]}">${esc(text)}</span>`;
}
