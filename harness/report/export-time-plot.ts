// Export time per backend as an inline SVG strip plot (log scale, one dot per job, median marked):
// how the backends compare is easier to see than to read from a column of numbers.
import { esc } from './html.js';

export interface TimePoint { backend: string; ms: number; label: string }

export function exportTimePlot(points: TimePoint[]): string {
  const backends = [...new Set(points.map((p) => p.backend))].sort();
  if (!points.length) return '<p class="meta">no exports finished</p>';
  const width = 720, left = 110, right = 20, row = 44, top = 10;
  const height = top + row * backends.length + 34;
  const lo = Math.floor(Math.log10(Math.max(1, Math.min(...points.map((p) => p.ms)))));
  const hi = Math.ceil(Math.log10(Math.max(10, ...points.map((p) => p.ms))));
  const x = (ms: number) => left + ((Math.log10(Math.max(ms, 1)) - lo) / Math.max(1, hi - lo)) * (width - left - right);
  const parts: string[] = [];
  for (let d = lo; d <= hi; d++) {
    const label = 10 ** d >= 1000 ? `${10 ** d / 1000} s` : `${10 ** d} ms`;
    parts.push(`<line x1="${x(10 ** d)}" x2="${x(10 ** d)}" y1="${top}" y2="${height - 24}" stroke="#e3e6e9"/><text x="${x(10 ** d)}" y="${height - 8}" font-size="11" text-anchor="middle" fill="#5c6670">${label}</text>`);
  }
  backends.forEach((backend, i) => {
    const y = top + row * i + row / 2;
    const mine = points.filter((p) => p.backend === backend).sort((a, b) => a.ms - b.ms);
    const median = mine[Math.floor((mine.length - 1) / 2)].ms;
    parts.push(`<text x="${left - 10}" y="${y + 4}" font-size="12" text-anchor="end">${esc(backend)}</text>`);
    mine.forEach((p, j) => {
      const jitter = ((j * 7) % 11) - 5;
      parts.push(`<circle cx="${x(p.ms).toFixed(1)}" cy="${(y + jitter * 1.6).toFixed(1)}" r="4" fill="#3b6fb6" fill-opacity="0.55"><title>${esc(p.label)}: ${(p.ms / 1000).toFixed(2)} s</title></circle>`);
    });
    parts.push(`<line x1="${x(median)}" x2="${x(median)}" y1="${y - 14}" y2="${y + 14}" stroke="#c23030" stroke-width="2"><title>median ${(median / 1000).toFixed(2)} s</title></line>`);
  });
  return `<svg id="export-time" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="export time per backend">${parts.join('')}</svg>`;
}
