import { grpcUnframe } from "./grpc-frame.js";
import { openingExchange } from "./open-server-streams.js";
import { createMemoryWorkloads, evaluateMemoryTargets, type MemoryRunRecord, summarizeMemory } from "./run-memory-bench.js";

const run = (round: number, workload: string, variant: string, openRssKiB: number, valid = true): MemoryRunRecord => ({
  round,
  workload,
  variant,
  valid,
  voidReasons: valid ? [] : ["3 of 1000 streams opened"],
  idleRssKiB: 50_000,
  openRssKiB,
});

describe("summarizeMemory and evaluateMemoryTargets", () => {
  const workloads = createMemoryWorkloads();

  it("takes open RSS over grpc-js's of the same round, then the median; void runs count for nothing", () => {
    const runs = [
      run(1, "memory-open-bidi", "shipped", 80_000),
      run(1, "memory-open-bidi", "grpc-js", 100_000),
      run(2, "memory-open-bidi", "shipped", 180_000),
      run(2, "memory-open-bidi", "grpc-js", 200_000),
      run(3, "memory-open-bidi", "shipped", 1_000, false),
      run(3, "memory-open-bidi", "grpc-js", 100_000),
      run(1, "memory-open-server-streams", "shipped", 130_000),
      run(1, "memory-open-server-streams", "grpc-js", 100_000),
    ];
    const cells = summarizeMemory(runs, workloads);
    const shipped = cells.find((c) => c.workload === "memory-open-bidi" && c.variant === "shipped");
    expect(shipped).toMatchObject({ runs: 3, validRuns: 2, openRssKiB: 130_000 });
    expect(shipped?.vsBaseline).toBeCloseTo(0.85);
    expect(evaluateMemoryTargets(cells, workloads).map((t) => [t.id, t.status, t.measured])).toEqual([
      ["memory-open-bidi-vs-grpc-js", "met", "0.85× grpc-js (127 MiB)"],
      ["memory-open-server-streams-vs-grpc-js", "not met", "1.30× grpc-js (127 MiB)"],
    ]);
  });

  it("says no data without a grpc-js run to compare with", () => {
    const cells = summarizeMemory([run(1, "memory-open-bidi", "shipped", 80_000)], workloads);
    expect(evaluateMemoryTargets(cells, workloads).map((t) => t.status)).toEqual(["no data", "no data"]);
  });
});

describe("openingExchange()", () => {
  it("opens a bidi call with one greeting and a server stream that pauses after its first reply", () => {
    const bidi = openingExchange("bidi");
    expect(bidi.path).toBe("/hello.v1.HelloService/BidiHello");
    expect(grpcUnframe(bidi.request)).toHaveLength(1);
    expect(grpcUnframe(bidi.firstReply)?.[0]?.data.toString("latin1")).toContain("Hello, bench!");
    const stream = openingExchange("server-stream");
    expect(stream.path).toBe("/hello.v1.HelloService/LotsOfReplies");
    expect(grpcUnframe(stream.firstReply)?.[0]?.data.toString("latin1")).toContain("(reply 1 of 2)");
  });
});
