import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100;

/** CPU time (user + system, seconds) and resident memory (bytes) of one process, from /proc. */
export interface ProcSample {
  cpuSeconds: number;
  rssBytes: number;
}

/** Parses /proc/<pid>/stat: utime and stime are fields 14 and 15 (after the parenthesised name). */
export function parseStat(stat: string): { ppid: number; cpuSeconds: number } {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  return { ppid: Number(rest[1]), cpuSeconds: (Number(rest[11]) + Number(rest[12])) / CLK_TCK };
}

/** Reads VmRSS from /proc/<pid>/status text (kB) as bytes. */
export function parseRss(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

export function sampleProc(pid: number): ProcSample {
  return {
    cpuSeconds: parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).cpuSeconds,
    rssBytes: parseRss(readFileSync(`/proc/${pid}/status`, 'utf8')),
  };
}

/** Pids whose parent is `pid` (e.g. the mediasoup workers of a server process). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (parseStat(readFileSync(`/proc/${name}/stat`, 'utf8')).ppid === pid) out.push(Number(name));
    } catch {
      // The process ended between readdir and read.
    }
  }
  return out;
}

/** Percent of one core used between two samples taken `wallSeconds` apart. */
export function cpuPercent(before: ProcSample, after: ProcSample, wallSeconds: number): number {
  return wallSeconds > 0 ? ((after.cpuSeconds - before.cpuSeconds) / wallSeconds) * 100 : 0;
}
