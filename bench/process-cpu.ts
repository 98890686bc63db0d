/**
 * CPU time of processes from /proc (Linux), for the benchmarks: what a request costs the app and PostgreSQL,
 * a steadier figure than throughput on a shared machine. Elsewhere every reading is undefined.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process in ms, from the fields after the parenthesised command name. */
function cpuMsOf(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

export function processCpuMs(pid: number): number | undefined {
  try {
    return cpuMsOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** CPU ms of every process named `postgres` on this machine, by pid (the server and its backends). */
export function postgresCpuMs(): Map<string, number> | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  const byPid = new Map<string, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.includes('(postgres)')) byPid.set(pid, cpuMsOf(stat));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return byPid;
}

/** CPU PostgreSQL spent since `before` (processes that ended meanwhile are lost; autovacuum workers, mostly). */
export function postgresCpuSince(before: Map<string, number>): number {
  let total = 0;
  for (const [pid, ms] of postgresCpuMs() ?? new Map<string, number>()) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** CPU ms of the given processes by pid; one that has ended is left out. */
export function processesCpuMs(pids: readonly number[]): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const pid of pids) {
    const ms = processCpuMs(pid);
    if (ms !== undefined) byPid.set(pid, ms);
  }
  return byPid;
}
