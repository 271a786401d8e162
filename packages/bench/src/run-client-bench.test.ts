import {
  CLIENT_BASELINE_ID,
  CLIENT_SUBJECT_ID,
  type ClientRunRecord,
  createClientWorkloads,
  evaluateClientTargets,
  summarizeClients,
} from "./run-client-bench.js";

const run = (
  round: number,
  workload: string,
  client: string,
  msgsPerSec: number,
  cpuUsPerMessage: number,
  valid = true,
): ClientRunRecord => ({
  round,
  workload,
  client,
  valid,
  voidReasons: valid ? [] : ["failed"],
  callsPerSec: msgsPerSec,
  msgsPerSec,
  cpuUsPerCall: cpuUsPerMessage,
  cpuUsPerMessage,
  cpuShare: 1,
});

describe("summarizeClients and evaluateClientTargets", () => {
  const workloads = createClientWorkloads().filter((w) => w.id === "client-unary-c10");

  it("takes ratios per round against the grpc-js client of the same round, then the median", () => {
    const runs = [
      // Round 1 is slow for both, round 2 fast for both: paired ratios are 2.0 and 2.0.
      run(1, "client-unary-c10", CLIENT_SUBJECT_ID, 200, 50),
      run(1, "client-unary-c10", CLIENT_BASELINE_ID, 100, 100),
      run(2, "client-unary-c10", CLIENT_SUBJECT_ID, 2_000, 50),
      run(2, "client-unary-c10", CLIENT_BASELINE_ID, 1_000, 100),
      run(3, "client-unary-c10", CLIENT_SUBJECT_ID, 5, 5, false),
    ];
    const [ours] = summarizeClients(runs, workloads);
    expect(ours).toMatchObject({ client: CLIENT_SUBJECT_ID, validRuns: 2, runs: 3, vsBaseline: 2, cpuVsBaseline: 2 });
    expect(evaluateClientTargets(summarizeClients(runs, workloads)).map((t) => [t.id, t.status])).toEqual([
      ["client-unary-c10-vs-grpc-js", "met"],
      ["client-unary-c10-cpu-vs-grpc-js", "met"],
    ]);
  });

  it("reports a target not met when ours is slower or uses more CPU, and no data without a baseline run", () => {
    const slower = [run(1, "client-unary-c10", CLIENT_SUBJECT_ID, 90, 120), run(1, "client-unary-c10", CLIENT_BASELINE_ID, 100, 100)];
    expect(evaluateClientTargets(summarizeClients(slower, workloads)).map((t) => t.status)).toEqual(["not met", "not met"]);
    const alone = [run(1, "client-unary-c10", CLIENT_SUBJECT_ID, 90, 120)];
    expect(evaluateClientTargets(summarizeClients(alone, workloads)).map((t) => t.status)).toEqual(["no data", "no data"]);
  });

  it("evaluates client-stream and bidi throughput without a CPU target, and RSS with open streams as lower-is-better", () => {
    const all = createClientWorkloads();
    const memory = (round: number, client: string, rssOpenKiB: number): ClientRunRecord => ({
      ...run(round, "client-open-bidi", client, 1, 1),
      rssBeforeKiB: 50_000,
      rssOpenKiB,
    });
    const runs = [
      run(1, "client-bidi-long", CLIENT_SUBJECT_ID, 1_100, 10),
      run(1, "client-bidi-long", CLIENT_BASELINE_ID, 1_000, 10),
      run(1, "client-client-stream-short", CLIENT_SUBJECT_ID, 900, 10),
      run(1, "client-client-stream-short", CLIENT_BASELINE_ID, 1_000, 10),
      memory(1, CLIENT_SUBJECT_ID, 90_000),
      memory(1, CLIENT_BASELINE_ID, 100_000),
      memory(2, CLIENT_SUBJECT_ID, 120_000),
      memory(2, CLIENT_BASELINE_ID, 100_000),
      memory(3, CLIENT_SUBJECT_ID, 95_000),
      memory(3, CLIENT_BASELINE_ID, 100_000),
    ];
    const cells = summarizeClients(runs, all);
    expect(cells.find((c) => c.workload === "client-open-bidi" && c.client === CLIENT_SUBJECT_ID)).toMatchObject({
      rssOpenKiB: 95_000,
      rssVsBaseline: 0.95,
    });
    expect(evaluateClientTargets(cells, all).map((t) => [t.id, t.status])).toEqual([
      ["client-client-stream-short-vs-grpc-js", "not met"],
      ["client-bidi-long-vs-grpc-js", "met"],
      ["client-open-bidi-rss-vs-grpc-js", "met"],
    ]);
  });
});
