/**
 * `pnpm bench --smoke` end to end: every server variant starts in its own process, answers
 * every workload of its protocols correctly (checked byte for byte before any timing),
 * survives a short h2load run with nothing failed, and the report is written. No timing
 * is asserted: CI machines are too noisy for that. The client workloads run too: both clients
 * get every reply right for a second, against the raw node:http2 server.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchReport } from "./bench-report.js";

const packageDir = join(__dirname, "..");

describe("pnpm bench --smoke", () => {
  let out: string;
  let exit: { code: number; output: string };

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), "hello-bench-smoke-"));
    exit = await new Promise((resolve) => {
      // From the sources (tsx), on the Node running the tests, into a temporary directory. About
      // 1.5 min on a quiet machine; the generous limit is for a machine shared with other work.
      execFile(
        process.execPath,
        ["--import", "tsx", "src/main.ts", "--smoke", "--out", out],
        { cwd: packageDir, timeout: 480_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
      );
    });
  }, 500_000);

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it("finishes with exit code 0", () => {
    if (exit.code !== 0) console.error(exit.output);
    expect(exit.code).toBe(0);
  });

  it("verified every variant's answer to every workload it serves, and every run counted", async () => {
    const files = (await readdir(out)).filter((f) => /^\d{4}-\d{2}-\d{2}-node\d+\.json$/.test(f));
    expect(files).toHaveLength(1);
    const report = JSON.parse(await readFile(join(out, files[0]!), "utf8")) as BenchReport;
    const [node] = report.nodes;
    expect(node?.node.version).toBe(process.version);
    expect(node!.variants.map((v) => v.id).sort()).toEqual(["extras-off", "grpc-js", "raw-http1", "raw-http2", "shipped"]);

    for (const variant of node!.variants) {
      const served = report.workloads
        .filter(
          (w) =>
            variant.protocols.includes(w.protocol) &&
            variant.httpVersions.includes(w.httpVersion) &&
            (!w.id.endsWith("-cors") || variant.cors),
        )
        .map((w) => w.id);
      const checked = node!.verifications.filter((v) => v.variant === variant.id);
      expect({ variant: variant.id, checked: checked.map((v) => v.workload) }).toEqual({ variant: variant.id, checked: served });
      expect(checked.filter((v) => !v.ok)).toEqual([]);
      const runs = node!.runs.filter((r) => r.variant === variant.id);
      expect(runs.map((r) => r.workload)).toEqual(served);
      expect(runs.filter((r) => !r.valid).map((r) => `${r.workload}: ${r.voidReasons.join("; ")}`)).toEqual([]);
    }
    // grpc-js serves gRPC over HTTP/2 only: unary at both loads and the three kinds of stream.
    expect(node!.verifications.filter((v) => v.variant === "grpc-js").map((v) => v.workload)).toEqual([
      "grpc-unary-c1",
      "grpc-unary-c10",
      "grpc-stream-c10",
      "grpc-client-stream-c10",
      "grpc-client-stream-long",
      "grpc-bidi-c10",
      "grpc-bidi-long",
    ]);
    // raw node:http serves the HTTP/1.1 workloads, and every HTTP/1.1 workload has our server and it.
    expect(node!.verifications.filter((v) => v.variant === "raw-http1").map((v) => v.workload)).toEqual([
      "connect-proto-unary-h1",
      "connect-json-unary-h1",
      "grpc-web-unary-h1",
      "connect-json-unary-h1-cors",
    ]);
    // Every server target has its data, whether met or not.
    const serverTargets = node!.targets.filter((t) => !t.id.startsWith("client-"));
    expect(serverTargets.filter((t) => t.status === "no data").map((t) => t.id)).toEqual([]);
  });

  it("ran every client workload with @hello/client and the grpc-js client, every run valid, and evaluated the client targets", async () => {
    const files = (await readdir(out)).filter((f) => /^\d{4}-\d{2}-\d{2}-node\d+\.json$/.test(f));
    const report = JSON.parse(await readFile(join(out, files[0]!), "utf8")) as BenchReport;
    const clients = report.nodes[0]!.clients!;
    const workloads = [
      "client-unary-c1",
      "client-unary-c10",
      "client-unary-c100",
      "client-stream",
      "client-client-stream-short",
      "client-client-stream-long",
      "client-bidi-short",
      "client-bidi-long",
      "client-open-bidi",
      "client-open-server-streams",
    ];
    expect(clients.workloads.map((w) => w.id)).toEqual(workloads);
    expect(clients.runs.map((r) => `${r.workload} ${r.client}`).sort()).toEqual(
      workloads.flatMap((w) => [`${w} grpc-js-client`, `${w} hello-client`]).sort(),
    );
    expect(clients.runs.filter((r) => !r.valid).map((r) => `${r.workload} ${r.client}: ${r.voidReasons.join("; ")}`)).toEqual([]);
    for (const run of clients.runs) {
      expect(run.callsPerSec).toBeGreaterThan(0);
      expect(run.cpuUsPerCall).toBeGreaterThan(0);
    }
    const targets = report.nodes[0]!.targets.filter((t) => t.id.startsWith("client-"));
    expect(targets).toHaveLength(14);
    expect(targets.filter((t) => t.status === "no data")).toEqual([]);
  });

  it("measured server RSS with open bidi and server streams on every gRPC variant, every run valid, and evaluated the memory targets", async () => {
    const files = (await readdir(out)).filter((f) => /^\d{4}-\d{2}-\d{2}-node\d+\.json$/.test(f));
    const report = JSON.parse(await readFile(join(out, files[0]!), "utf8")) as BenchReport;
    const memory = report.nodes[0]!.memory!;
    expect(memory.runs.map((r) => `${r.workload} ${r.variant}`).sort()).toEqual(
      ["memory-open-bidi", "memory-open-server-streams"].flatMap((w) =>
        ["extras-off", "grpc-js", "raw-http2", "shipped"].map((v) => `${w} ${v}`),
      ),
    );
    expect(memory.runs.filter((r) => !r.valid).map((r) => `${r.workload} ${r.variant}: ${r.voidReasons.join("; ")}`)).toEqual([]);
    const targets = report.nodes[0]!.targets.filter((t) => t.id.startsWith("memory-"));
    expect(targets.map((t) => t.id)).toEqual(["memory-open-bidi-vs-grpc-js", "memory-open-server-streams-vs-grpc-js"]);
    expect(targets.filter((t) => t.status === "no data")).toEqual([]);
  });

  it("writes REPORT.md with the targets and chart.svg", async () => {
    const report = await readFile(join(out, "REPORT.md"), "utf8");
    expect(report).toContain("## Headline: gRPC unary, `-c 10 -m 10`");
    expect(report).toContain("## Targets from the issue");
    expect(report).toContain("## Client: `@hello/client` against the `@grpc/grpc-js` client");
    expect(report).toContain("## Memory with open streams");
    expect(report).toContain("](chart.svg)");
    const chart = await readFile(join(out, "chart.svg"), "utf8");
    expect(chart.startsWith("<svg")).toBe(true);
    expect(chart.trimEnd().endsWith("</svg>")).toBe(true);
  });
});
