// Plain-text tables for the terminal: every column as wide as its widest cell (header included), so
// no value longer than a guessed width pushes its row out of line. The last column is not padded.
export function alignColumns(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return all.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

/** A value as one Markdown table cell: its pipes escaped and its lines joined, so it stays in its column. */
export const markdownCell = (text: string | undefined): string => (text ?? '').replaceAll('|', '\\|').replaceAll('\n', ' ');
