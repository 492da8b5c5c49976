// Small statistics for benchmark figures.
export function median(values: number[]): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export function ratio(a: number, b: number): number {
  return b === 0 ? NaN : a / b;
}

/** Wall time of ``order`` on ``workers`` otherwise idle workers, each job starting on the first one
 * free (as the pool does), from the jobs' own durations. */
export function listScheduleMs(order: string[], durationsMs: Map<string, number>, workers: number): number {
  const free = Array.from({ length: workers }, () => 0);
  for (const id of order) {
    const first = free.indexOf(Math.min(...free));
    free[first] += durationsMs.get(id) ?? 0;
  }
  return Math.max(...free);
}

export function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
