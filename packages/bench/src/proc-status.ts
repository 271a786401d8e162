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
