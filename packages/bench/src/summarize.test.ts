import { renderChart } from "./render-chart.js";
import type { NodeRunResults, RunRecord } from "./run-bench.js";
import { median, summarize } from "./summarize.js";
import { CORS_SAME_RATE, evaluateTargets } from "./targets.js";
import { createWorkloads, type HttpVersion, type Protocol } from "./workloads.js";

const workloads = createWorkloads().filter((w) => ["grpc-unary-c10", "connect-proto-unary-c10"].includes(w.id));

function run(workload: string, variant: string, reqPerSec: number, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    round: 1,
    workload,
    variant,
    valid: true,
    voidReasons: [],
    reqPerSec,
    msgsPerSec: reqPerSec,
    latencyMs: { p50: 1, p90: 2, p99: 3, max: 4, mean: 1, samples: 100 },
    h2load: undefined,
    memory: { idle: { rssKiB: 50_000, peakRssKiB: 50_000 }, loaded: { rssKiB: 100_000, peakRssKiB: 100_000 } },
    serverStatuses: undefined,
    serverCpu: { seconds: 1, share: 1, usPerCall: 1e6 / reqPerSec, usPerMessage: 1e6 / reqPerSec },
    loadAverage: 0,
    machineBusyBefore: 0,
    repeated: false,
    contended: false,
    ...extra,
  };
}

const results: NodeRunResults = {
  node: { requested: "current", path: "/usr/bin/node", version: "v20.20.2", name: "node20" },
  variants: [
    { id: "shipped", label: "shipped", role: "subject", protocols: ["grpc", "connect-proto"], httpVersions: ["h2"], cors: false },
    { id: "grpc-js", label: "grpc-js", role: "baseline", protocols: ["grpc"], httpVersions: ["h2"], cors: false },
    { id: "raw-http2", label: "raw", role: "upper-bound", protocols: ["grpc", "connect-proto"], httpVersions: ["h2"], cors: false },
  ],
  verifications: [],
  runs: [
    run("grpc-unary-c10", "shipped", 1_000),
    run("grpc-unary-c10", "shipped", 3_000),
    run("grpc-unary-c10", "shipped", 99_999, { valid: false, voidReasons: ["h2load: 1 failed"] }),
    run("grpc-unary-c10", "grpc-js", 10_000),
    run("grpc-unary-c10", "raw-http2", 20_000),
    run("connect-proto-unary-c10", "shipped", 12_000),
    run("connect-proto-unary-c10", "raw-http2", 24_000),
  ],
};

describe("median()", () => {
  it("takes the middle value, or the mean of the two middle ones, ignoring gaps", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, undefined, 2, 3])).toBe(2.5);
    expect(median([undefined, Number.NaN])).toBeUndefined();
  });
});

describe("summarize()", () => {
  const cells = summarize(results, workloads);
  const cell = (workload: string, variant: string) => cells.find((c) => c.workload === workload && c.variant === variant)!;

  it("takes medians of valid runs only and ratios against grpc-js and raw from the same run", () => {
    expect(cell("grpc-unary-c10", "shipped")).toMatchObject({
      runs: 3,
      validRuns: 2,
      reqPerSec: 2_000,
      vsBaseline: 0.2,
      vsUpperBound: 0.1,
      baselineWorkload: "grpc-unary-c10",
    });
  });

  it("compares a protocol grpc-js does not speak with grpc-js serving gRPC at the same load", () => {
    expect(cell("connect-proto-unary-c10", "shipped")).toMatchObject({
      baselineWorkload: "grpc-unary-c10",
      vsBaseline: 1.2,
      vsUpperBound: 0.5,
    });
    expect(cell("connect-proto-unary-c10", "shipped").cpuVsBaseline).toBeCloseTo(1.2);
  });
});

describe("evaluateTargets()", () => {
  it("marks each target of the issue met or not met, and says when data is missing", () => {
    const targets = evaluateTargets(summarize(results, workloads));
    const status = Object.fromEntries(targets.map((t) => [t.id, t.status]));
    expect(status).toEqual({
      "grpc-vs-grpc-js": "not met",
      "grpc-vs-raw": "not met",
      "p99-vs-grpc-js": "met",
      "connect-proto-vs-grpc-js": "met",
      "connect-json-vs-grpc-js": "no data",
      "grpc-web-vs-grpc-js": "no data",
      "stream-vs-grpc-js": "no data",
      "connect-proto-unary-h1-vs-raw": "no data",
      "connect-json-unary-h1-vs-raw": "no data",
      "grpc-web-unary-h1-vs-raw": "no data",
      "connect-json-unary-h1-cors-vs-no-origin": "no data",
      "connect-json-unary-c10-cors-vs-no-origin": "no data",
      "grpc-client-stream-c10-vs-grpc-js": "no data",
      "grpc-client-stream-long-vs-grpc-js": "no data",
      "grpc-bidi-c10-vs-grpc-js": "no data",
      "grpc-bidi-long-vs-grpc-js": "no data",
      "rss-vs-grpc-js": "met",
    });
    expect(targets.find((t) => t.id === "grpc-vs-grpc-js")?.measured).toBe("0.20× grpc-js");
  });

  it("takes HTTP/1.1 ratios against raw node:http, CORS against the same call without Origin, streams against grpc-js", () => {
    const all = createWorkloads();
    const variant = (id: string, role: "subject" | "baseline" | "upper-bound", protocols: Protocol[], httpVersions: HttpVersion[]) => ({
      id,
      label: id,
      role,
      protocols,
      httpVersions,
      cors: id !== "grpc-js",
    });
    const h1AndStreams: NodeRunResults = {
      node: results.node,
      variants: [
        variant("shipped", "subject", ["grpc", "connect-proto", "connect-json", "grpc-web"], ["h2", "h1"]),
        variant("grpc-js", "baseline", ["grpc"], ["h2"]),
        variant("raw-http2", "upper-bound", ["grpc", "connect-proto", "connect-json", "grpc-web"], ["h2"]),
        variant("raw-http1", "upper-bound", ["connect-proto", "connect-json", "grpc-web"], ["h1"]),
      ],
      verifications: [],
      runs: [
        run("connect-proto-unary-h1", "shipped", 7_000),
        run("connect-proto-unary-h1", "raw-http1", 10_000),
        run("connect-json-unary-h1", "shipped", 5_000),
        run("connect-json-unary-h1", "raw-http1", 10_000),
        run("connect-json-unary-h1-cors", "shipped", 4_900),
        run("connect-json-unary-h1-cors", "raw-http1", 9_000),
        run("connect-json-unary-c10", "shipped", 20_000),
        run("connect-json-unary-c10-cors", "shipped", 10_000),
        run("grpc-unary-c10", "grpc-js", 10_000),
        run("grpc-bidi-c10", "shipped", 5_000),
        run("grpc-bidi-c10", "grpc-js", 4_000),
        run("grpc-bidi-long", "shipped", 3_000),
        run("grpc-bidi-long", "grpc-js", 4_000),
      ],
    };
    const cells = summarize(h1AndStreams, all);
    const shipped = (workload: string) => cells.find((c) => c.workload === workload && c.variant === "shipped");
    // HTTP/1.1: raw node:http is the bound, and grpc-js (HTTP/2 only) is no baseline.
    expect(shipped("connect-proto-unary-h1")).toMatchObject({ vsUpperBound: 0.7, vsBaseline: undefined, baselineWorkload: undefined });
    // The browser-style call over HTTP/2 is compared with grpc-js's gRPC at the same load, like its twin without Origin.
    expect(shipped("connect-json-unary-c10-cors")?.baselineWorkload).toBe("grpc-unary-c10");

    const status = Object.fromEntries(evaluateTargets(cells).map((t) => [t.id, t.status]));
    expect(status).toMatchObject({
      "connect-proto-unary-h1-vs-raw": "met",
      "connect-json-unary-h1-vs-raw": "not met",
      "grpc-web-unary-h1-vs-raw": "no data",
      "connect-json-unary-h1-cors-vs-no-origin": "met",
      "connect-json-unary-c10-cors-vs-no-origin": "not met",
      "grpc-bidi-c10-vs-grpc-js": "met",
      "grpc-bidi-long-vs-grpc-js": "not met",
      "grpc-client-stream-c10-vs-grpc-js": "no data",
    });
    const cors = evaluateTargets(cells).find((t) => t.id === "connect-json-unary-h1-cors-vs-no-origin");
    expect(cors?.measured).toBe("0.98× without Origin; by CPU per call 0.98×");
    expect(CORS_SAME_RATE).toBe(0.95);
  });
});

describe("renderChart()", () => {
  it("draws one labelled bar per variant and workload with a value", () => {
    const svg = renderChart([{ title: "node20", cells: summarize(results, workloads) }], {
      title: "ratios",
      rows: workloads.map((w) => ({ id: w.id, label: w.label })),
      variants: results.variants.map((v) => ({ id: v.id, label: v.label })),
      references: [{ at: 1.2, label: "target" }],
    });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    // grpc-js has no Connect bar: 3 gRPC bars + 2 Connect bars, each with a tooltip.
    expect(svg.match(/<rect [^>]*><title>/g)?.length).toBe(5);
    expect(svg).toContain(">0.20×<");
    expect(svg).toContain(">1.20×<");
  });
});
