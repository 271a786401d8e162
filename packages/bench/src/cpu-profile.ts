import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { runH2load } from "./h2load.js";
import type { NodeBinary } from "./node-binaries.js";
import type { Pinning } from "./run-bench.js";
import { startVariantProcess } from "./variant-process-handle.js";
import type { VariantEntry } from "./variants/index.js";
import { verifyAnswer } from "./verify-answer.js";
import type { Workload } from "./workloads.js";

/** Where a variant's CPU time went under load. */
export interface ProfileSummary {
  variant: string;
  workload: string;
  node: string;
  /** Seconds profiled (under load, after warm-up). */
  seconds: number;
  /** Sampling interval asked for, µs. */
  intervalUs: number;
  /**
   * Share of samples in which the main thread waited in the event loop. Under load it is
   * not zero: the server process is pinned to one CPU, where V8's GC and compiler threads
   * and the sampler itself take turns with the main thread. Percentages below are of the
   * other (busy) samples.
   */
  idlePct: number;
  /** req/s of the profiled h2load run (the profiler costs some throughput). */
  reqPerSec: number;
  /** The .cpuprofile (open it in Chrome DevTools or speedscope). */
  file: string;
  /** Share of busy samples by code area (package, node:internal module, GC, V8). */
  areas: { area: string; selfPct: number }[];
  /** Functions by self time. */
  topSelf: { fn: string; where: string; area: string; selfPct: number }[];
  /** Functions outside node:internal by inclusive time (self + callees). */
  topInclusive: { fn: string; where: string; area: string; inclusivePct: number }[];
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Sampling interval: finer costs the server more, coarser needs longer runs. */
const PROFILE_INTERVAL_US = 250;

/**
 * Profiles a variant under load: h2load runs the workload for warm-up + `seconds`, and
 * the server's own sampling profiler (started through the variant process, so module
 * loading and warm-up stay out) records the measured seconds only.
 */
export async function profileVariant(options: {
  variant: VariantEntry;
  workload: Workload;
  node: NodeBinary;
  pinning: Pinning | undefined;
  seconds: number;
  dir: string;
  codeDir?: string;
}): Promise<ProfileSummary> {
  const { variant, workload, node, seconds } = options;
  await mkdir(options.dir, { recursive: true });
  const file = join(options.dir, `${node.name}-${variant.id}-${workload.id}.cpuprofile`);
  const server = await startVariantProcess(variant, {
    node: node.path,
    cpu: options.pinning?.server,
    ...(options.codeDir ? { codeDir: options.codeDir } : {}),
  });
  try {
    const check = await verifyAnswer(server.url, workload);
    if (!check.ok) throw new Error(`${variant.id} answered ${workload.id} wrongly: ${check.problems.join("; ")}`);
    const warmUpS = 2;
    const load = runH2load({ url: server.url, workload, durationS: seconds + 1, warmUpS, cpu: options.pinning?.client });
    await sleep(warmUpS * 1_000 + 300);
    await server.startProfile(PROFILE_INTERVAL_US);
    await sleep(seconds * 1_000);
    await server.stopProfile(file);
    const result = await load;
    const profile = JSON.parse(await readFile(file, "utf8")) as { nodes: ProfileNode[] };
    return {
      variant: variant.id,
      workload: workload.id,
      node: node.name,
      seconds,
      intervalUs: PROFILE_INTERVAL_US,
      reqPerSec: result.reqPerSec,
      file,
      ...summarizeProfile(profile.nodes),
    };
  } finally {
    await server.stop();
  }
}

/** Self time by area and function, and inclusive time by function, from a profile's nodes. */
export function summarizeProfile(nodes: readonly ProfileNode[]): Pick<ProfileSummary, "idlePct" | "areas" | "topSelf" | "topInclusive"> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const isIdle = (n: ProfileNode) => n.callFrame.url === "" && n.callFrame.functionName === "(idle)";
  const all = nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0) || 1;
  const idle = nodes.filter(isIdle).reduce((sum, n) => sum + (n.hitCount ?? 0), 0);
  const busy = all - idle || 1;
  const pct = (hits: number) => Math.round((hits / busy) * 1_000) / 10;
  const keyOf = (n: ProfileNode) => `${n.callFrame.functionName || "(anonymous)"}\u0000${where(n)}`;
  const where = (n: ProfileNode) => (n.callFrame.url ? `${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : "");

  const areaHits = new Map<string, number>();
  const selfHits = new Map<string, { node: ProfileNode; hits: number }>();
  for (const n of nodes) {
    if (isIdle(n)) continue;
    const hits = n.hitCount ?? 0;
    const area = areaOf(n.callFrame.url, n.callFrame.functionName);
    areaHits.set(area, (areaHits.get(area) ?? 0) + hits);
    const key = keyOf(n);
    const entry = selfHits.get(key) ?? { node: n, hits: 0 };
    entry.hits += hits;
    selfHits.set(key, entry);
  }

  // Inclusive: each node's subtree hits, counted once per function even when it recurses.
  const subtree = new Map<number, number>();
  const sizeOf = (n: ProfileNode): number => {
    const known = subtree.get(n.id);
    if (known !== undefined) return known;
    let sum = n.hitCount ?? 0;
    for (const child of n.children ?? []) sum += sizeOf(byId.get(child)!);
    subtree.set(n.id, sum);
    return sum;
  };
  const inclusive = new Map<string, { node: ProfileNode; hits: number }>();
  const root = nodes[0];
  const walk = (n: ProfileNode, onStack: Set<string>) => {
    const key = keyOf(n);
    const first = !onStack.has(key);
    if (first) {
      const entry = inclusive.get(key) ?? { node: n, hits: 0 };
      entry.hits += sizeOf(n);
      inclusive.set(key, entry);
      onStack.add(key);
    }
    for (const child of n.children ?? []) walk(byId.get(child)!, onStack);
    if (first) onStack.delete(key);
  };
  if (root) walk(root, new Set());

  const fnName = (n: ProfileNode) => n.callFrame.functionName || "(anonymous)";
  return {
    idlePct: Math.round((idle / all) * 1_000) / 10,
    areas: [...areaHits.entries()]
      .map(([area, hits]) => ({ area, selfPct: pct(hits) }))
      .sort((a, b) => b.selfPct - a.selfPct)
      .filter((a) => a.selfPct >= 0.5),
    topSelf: [...selfHits.values()]
      .sort((a, b) => b.hits - a.hits)
      .slice(0, 30)
      .map(({ node, hits }) => ({
        fn: fnName(node),
        where: where(node),
        area: areaOf(node.callFrame.url, node.callFrame.functionName),
        selfPct: pct(hits),
      })),
    topInclusive: [...inclusive.values()]
      .filter(({ node }) => node.callFrame.url !== "" && !node.callFrame.url.startsWith("node:"))
      .sort((a, b) => b.hits - a.hits)
      .slice(0, 30)
      .map(({ node, hits }) => ({
        fn: fnName(node),
        where: where(node),
        area: areaOf(node.callFrame.url, node.callFrame.functionName),
        inclusivePct: pct(hits),
      })),
  };
}

/** The package or runtime part a frame belongs to, e.g. "@connectrpc/connect-node", "node:internal/http2/core". */
export function areaOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native / V8 builtins)";
  if (url.startsWith("node:")) return url;
  const modules = url.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const parts = url.slice(modules + "/node_modules/".length).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  // Workspace packages, in the tree or in the bench's frozen copy (see freeze-workspace.ts).
  const workspace = /\/packages\/([^/]+)\/|\/hello-bench-code-[^/]+\/([^/]+)\//.exec(url);
  if (workspace) return `@hello/${workspace[1] ?? workspace[2]}`;
  return shortUrl(url);
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf("/node_modules/");
  if (modules >= 0) return url.slice(modules + "/node_modules/".length);
  const packages = url.indexOf("/packages/");
  if (packages >= 0) return url.slice(packages + 1);
  const frozen = /\/hello-bench-code-[^/]+\/(.*)$/.exec(url);
  if (frozen) return `packages/${frozen[1]}`;
  return url.replace(/^file:\/\//, "");
}
