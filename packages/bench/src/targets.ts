import type { SummaryCell } from "./summarize.js";
import { BASELINE_ID, RAW_HTTP1_ID, SHIPPED_ID } from "./variants/index.js";
import { SHORT_CLIENT_STREAM_MESSAGES } from "./workloads.js";

/** One target of the "Performance" issue, evaluated on one Node version's medians. */
export interface TargetResult {
  id: string;
  /** What the issue asks, in words. */
  target: string;
  /** The measured value, in words (e.g. "0.21× grpc-js"). */
  measured: string;
  status: "met" | "not met" | "no data";
}

const fmt = (x: number, digits = 2) => x.toFixed(digits);

/**
 * A ratio to two decimals, or to as many more (up to four) as it takes not to round it onto
 * the bound it is checked against: 0.596 against 0.6 reads "0.596", never "0.60".
 */
export function formatRatio(value: number, bound: number): string {
  let digits = 2;
  while (digits < 4 && value !== bound && value.toFixed(digits) === bound.toFixed(digits)) digits++;
  return value.toFixed(digits);
}

/**
 * "At the same rate" for a browser-style call, as a ratio of medians: 0.95, because two
 * medians of the very same workload differ by a few per cent from one run to the next on a
 * shared two-core machine, so a stricter bound would fail on noise, and a looser one would
 * let a real cost of the CORS path (a slower code path for calls with an Origin) pass.
 */
export const CORS_SAME_RATE = 0.95;

/**
 * The issue's targets for the server as shipped (extras on), from one Node version's
 * summary: gRPC unary ≥ 1.2× grpc-js and ≥ 0.8× raw at -c10 -m10 with a p99 no worse than
 * grpc-js's; Connect and gRPC-Web unary ≥ 1.0× grpc-js; server streaming ≥ grpc-js in messages/s;
 * RSS under load ≤ 1.2× grpc-js's.
 */
export function evaluateTargets(cells: readonly SummaryCell[]): TargetResult[] {
  const cell = (workload: string, variant: string) => cells.find((c) => c.workload === workload && c.variant === variant);
  const shipped = (workload: string) => cell(workload, SHIPPED_ID);
  const results: TargetResult[] = [];
  const atLeast = (id: string, target: string, value: number | undefined, min: number, unit: string, cpu?: number) =>
    results.push({
      id,
      target,
      measured:
        value === undefined
          ? "—"
          : `${formatRatio(value, min)}× ${unit}${cpu === undefined ? "" : `; by CPU per call ${formatRatio(cpu, min)}×`}`,
      status: value === undefined ? "no data" : value >= min ? "met" : "not met",
    });
  // The other figure's CPU per call over ours (higher is better, like the rate ratios): the
  // check on a rate ratio taken while other work took the server's CPU.
  const cpuRatio = (theirs: SummaryCell | undefined, ours: SummaryCell | undefined) =>
    theirs?.cpuUsPerMessage !== undefined && ours?.cpuUsPerMessage ? theirs.cpuUsPerMessage / ours.cpuUsPerMessage : undefined;

  atLeast("grpc-vs-grpc-js", "gRPC unary -c10 -m10 ≥ 1.2× grpc-js", shipped("grpc-unary-c10")?.vsBaseline, 1.2, "grpc-js");
  atLeast("grpc-vs-raw", "gRPC unary -c10 -m10 ≥ 0.8× raw node:http2", shipped("grpc-unary-c10")?.vsUpperBound, 0.8, "raw");

  const p99 = shipped("grpc-unary-c10")?.p99Ms;
  const p99Baseline = cell("grpc-unary-c10", BASELINE_ID)?.p99Ms;
  results.push({
    id: "p99-vs-grpc-js",
    target: "gRPC unary -c10 -m10 p99 ≤ grpc-js p99",
    measured: p99 === undefined || p99Baseline === undefined ? "—" : `${fmt(p99)} ms vs ${fmt(p99Baseline)} ms`,
    status: p99 === undefined || p99Baseline === undefined ? "no data" : p99 <= p99Baseline ? "met" : "not met",
  });

  atLeast(
    "connect-proto-vs-grpc-js",
    "Connect unary (binary) -c10 -m10 ≥ 1.0× grpc-js (gRPC)",
    shipped("connect-proto-unary-c10")?.vsBaseline,
    1.0,
    "grpc-js",
  );
  atLeast(
    "connect-json-vs-grpc-js",
    "Connect unary (JSON) -c10 -m10 ≥ 1.0× grpc-js (gRPC)",
    shipped("connect-json-unary-c10")?.vsBaseline,
    1.0,
    "grpc-js",
  );
  atLeast(
    "grpc-web-vs-grpc-js",
    "gRPC-Web unary (h2c) -c10 -m10 ≥ 1.0× grpc-js (gRPC)",
    shipped("grpc-web-unary-c10")?.vsBaseline,
    1.0,
    "grpc-js",
  );
  atLeast("stream-vs-grpc-js", "server streaming msgs/s ≥ grpc-js", shipped("grpc-stream-c10")?.vsBaseline, 1.0, "grpc-js");

  for (const [workload, what] of [
    ["connect-proto-unary-h1", "Connect unary (binary)"],
    ["connect-json-unary-h1", "Connect unary (JSON)"],
    ["grpc-web-unary-h1", "gRPC-Web unary"],
  ] as const) {
    atLeast(
      `${workload}-vs-raw`,
      `${what} over HTTP/1.1 -c10 ≥ 0.6× raw node:http`,
      shipped(workload)?.vsUpperBound,
      0.6,
      "raw node:http",
      cpuRatio(cell(workload, RAW_HTTP1_ID), shipped(workload)),
    );
  }
  for (const [withOrigin, without, over] of [
    ["connect-json-unary-h1-cors", "connect-json-unary-h1", "HTTP/1.1 -c10"],
    ["connect-json-unary-c10-cors", "connect-json-unary-c10", "HTTP/2 -c10 -m10"],
  ] as const) {
    const rate = shipped(withOrigin)?.msgsPerSec;
    const base = shipped(without)?.msgsPerSec;
    atLeast(
      `${withOrigin}-vs-no-origin`,
      `Connect unary (JSON) from a browser origin (CORS), ${over}: ≥ ${CORS_SAME_RATE}× the rate without Origin`,
      rate !== undefined && base ? rate / base : undefined,
      CORS_SAME_RATE,
      "without Origin",
      cpuRatio(shipped(without), shipped(withOrigin)),
    );
  }
  for (const [workload, what] of [
    ["grpc-client-stream-c10", `client stream, short calls (${SHORT_CLIENT_STREAM_MESSAGES} requests) -c10 -m10: calls/s`],
    ["grpc-client-stream-long", "client stream, long calls -c10 -m1: request msgs/s"],
    ["grpc-bidi-c10", "bidi, short calls (1 request, 1 reply) -c10 -m10: calls/s"],
    ["grpc-bidi-long", "bidi, long calls -c10 -m1: msgs/s"],
  ] as const) {
    atLeast(`${workload}-vs-grpc-js`, `gRPC ${what} ≥ 1.0× grpc-js`, shipped(workload)?.vsBaseline, 1.0, "grpc-js");
  }

  const rss = shipped("grpc-unary-c10")?.loadedRssKiB;
  const rssBaseline = cell("grpc-unary-c10", BASELINE_ID)?.loadedRssKiB;
  const rssRatio = rss !== undefined && rssBaseline ? rss / rssBaseline : undefined;
  results.push({
    id: "rss-vs-grpc-js",
    target: "RSS under load (gRPC unary -c10) ≤ 1.2× grpc-js",
    measured:
      rssRatio === undefined
        ? "—"
        : `${formatRatio(rssRatio, 1.2)}× grpc-js (${Math.round(rss! / 1024)} vs ${Math.round(rssBaseline! / 1024)} MiB)`,
    status: rssRatio === undefined ? "no data" : rssRatio <= 1.2 ? "met" : "not met",
  });
  return results;
}
