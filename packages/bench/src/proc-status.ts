import { readFileSync } from "node:fs";

/** Memory of a process, from /proc/<pid>/status, in KiB. */
export interface ProcessMemory {
  /** Resident set size now (VmRSS). */
  rssKiB: number;
  /** Peak resident set size so far (VmHWM). */
  peakRssKiB: number;
}

/** Reads a process's resident memory; undefined when the process is gone or /proc is missing. */
export function readProcessMemory(pid: number): ProcessMemory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssKiB: field("VmRSS"), peakRssKiB: field("VmHWM") };
}

/** The 1-minute load average (other work on the machine skews results; reports show it). */
export function loadAverage(): number {
  try {
    return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
  } catch {
    return NaN;
  }
}

// Clock ticks per second of /proc/<pid>/stat times (USER_HZ): 100 on every Linux we run on.
const USER_HZ = 100;

/** CPU time a process has used so far (user + system), in seconds; undefined once it is gone. */
export function readCpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

/** Busy and total CPU time of the whole machine so far (all CPUs, clock ticks). */
function machineCpuTicks(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = ticks[3]! + ticks[4]!; // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/**
 * Share of the machine's CPU time (all CPUs) that was busy during the next `ms`
 * milliseconds; undefined without /proc.
 */
export async function machineBusyShare(ms: number): Promise<number | undefined> {
  const before = machineCpuTicks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = machineCpuTicks();
  if (!before || !after || after.total === before.total) return undefined;
  return (after.busy - before.busy) / (after.total - before.total);
}
