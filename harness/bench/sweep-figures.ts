// Figures read off one sweep's results: harness efficiency, boundary cost, fuzz throughput, export
// cost per backend, memory per worker. Each is a ratio or a median from the same run.
import type { JobResult } from '../sweep/job-result.js';
import { groupBy, median, ratio, sum } from './stats.js';

export interface SweepFigures {
  jobs: number;
  workers: number;
  wallMs: number;
  /** Σ job time / (wall x workers): the share of worker capacity spent inside jobs. */
  efficiency: number;
  /** The same with each job's boundary cost (tensor files, IPC) counted as harness overhead. */
  efficiencyExcludingBoundary: number;
  boundary: { model: string; shareOfJobTime: number; tensorIoMs: number; ipcMs: number; jobMs: number };
  fuzzCasesPerSecond: Record<string, number>;
  exportMedianMs: Record<string, number>;
  /** Per worker: peak RSS at its first and last job, and the growth per job in between. */
  memory: { peakRssMb: number; perWorker: { pid: number; jobs: number; firstMb: number; lastMb: number; maxMb: number; mbPerJob: number }[] };
}

export function sweepFigures(results: JobResult[], wallMs: number, workers: number, largestModel: string): SweepFigures {
  const ran = results.filter((r) => r.status !== 'skipped');
  const inJobs = sum(ran.map((r) => r.durationsMs.total));
  const boundaryOf = (r: JobResult) => (r.durationsMs.tensorIo ?? 0) + (r.durationsMs.ipc ?? 0);
  const largest = ran.filter((r) => r.model === largestModel);
  const fuzz = groupBy(ran.filter((r) => r.fuzz && r.durationsMs.fuzz), (r) => r.backend);
  const exports = groupBy(ran.filter((r) => r.durationsMs.export !== undefined), (r) => r.backend);
  const byWorker = groupBy(ran.filter((r) => r.workerPid && r.peakRssMb), (r) => String(r.workerPid));
  return {
    jobs: results.length,
    workers,
    wallMs,
    efficiency: ratio(inJobs, wallMs * workers),
    efficiencyExcludingBoundary: ratio(inJobs - sum(ran.map(boundaryOf)), wallMs * workers),
    boundary: {
      model: largestModel,
      shareOfJobTime: ratio(sum(largest.map(boundaryOf)), sum(largest.map((r) => r.durationsMs.total))),
      tensorIoMs: sum(largest.map((r) => r.durationsMs.tensorIo ?? 0)),
      ipcMs: sum(largest.map((r) => r.durationsMs.ipc ?? 0)),
      jobMs: sum(largest.map((r) => r.durationsMs.total)),
    },
    fuzzCasesPerSecond: Object.fromEntries([...fuzz].map(([b, rs]) => [b, ratio(sum(rs.map((r) => r.fuzz!.cases)), sum(rs.map((r) => r.durationsMs.fuzz!)) / 1000)])),
    exportMedianMs: Object.fromEntries([...exports].map(([b, rs]) => [b, median(rs.map((r) => r.durationsMs.export!))])),
    memory: {
      peakRssMb: Math.max(0, ...ran.map((r) => r.peakRssMb ?? 0)),
      perWorker: [...byWorker].map(([pid, rs]) => {
        const ordered = rs.sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
        const [firstMb, lastMb] = [ordered[0].peakRssMb!, ordered.at(-1)!.peakRssMb!];
        return { pid: Number(pid), jobs: ordered.length, firstMb, lastMb, maxMb: Math.max(...ordered.map((r) => r.peakRssMb!)), mbPerJob: ratio(lastMb - firstMb, ordered.length - 1) };
      }),
    },
  };
}

/** Median export time per backend, ours against a peer's, over the jobs both exported. */
export function exportAgainstPeer(ours: JobResult[], peer: JobResult[]): Record<string, { jobs: number; oursMs: number; peerMs: number }> {
  const peerExport = new Map(peer.filter((r) => r.durationsMs.export !== undefined).map((r) => [r.id, r.durationsMs.export!]));
  const both = ours.filter((r) => r.durationsMs.export !== undefined && peerExport.has(r.id));
  return Object.fromEntries([...groupBy(both, (r) => r.backend)].map(([backend, rs]) => [backend, {
    jobs: rs.length, oursMs: median(rs.map((r) => r.durationsMs.export!)), peerMs: median(rs.map((r) => peerExport.get(r.id)!)),
  }]));
}
