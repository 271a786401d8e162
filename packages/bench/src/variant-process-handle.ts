import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { isAbsolute, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type ProcessMemory, readProcessMemory } from "./proc-status.js";
import type { StatusCounts } from "./status-counter.js";
import type { VariantCommand } from "./variant-process.js";
import type { VariantEntry } from "./variants/index.js";
import type { HttpVersion, Protocol } from "./workloads.js";

// Compiled (dist/*.js) or run from source by tsx (src/*.ts, the smoke test): children run
// the same way as this file.
const fromSource = import.meta.url.endsWith(".ts");
const ext = fromSource ? ".ts" : ".js";

/** How to start a variant process. */
export interface StartVariantOptions {
  /** The Node binary to run the server on. */
  node: string;
  /** Pin the server to this CPU with `taskset -c`; undefined: no pinning. */
  cpu: number | undefined;
  /** Extra Node flags, e.g. `--cpu-prof`. */
  nodeArgs?: readonly string[];
  /** Gives up when the server is not ready in this time. Default 20 s. */
  readyTimeoutMs?: number;
  /**
   * Directory holding `variant-process.js` and `variants/` (a frozen copy of `dist`, see
   * `freeze-workspace.ts`). Default: next to this file.
   */
  codeDir?: string;
}

/** A server variant running in its own process. */
export interface VariantProcess {
  readonly id: string;
  readonly label: string;
  readonly pid: number;
  readonly url: string;
  readonly protocols: readonly Protocol[];
  /** The HTTP versions it serves (HTTP/2 only unless the variant says otherwise). */
  readonly httpVersions: readonly HttpVersion[];
  /** It answers browser calls (CORS) from the bench's origin. */
  readonly cors: boolean;
  /** Resident memory now; undefined once the process is gone. */
  memory(): ProcessMemory | undefined;
  /** Statuses the server has written so far (see `status-counter.ts`). */
  statuses(): Promise<StatusCounts>;
  /** Starts the in-process sampling CPU profiler, sampling every `intervalUs` µs. */
  startProfile(intervalUs: number): Promise<void>;
  /** Stops the profiler and writes the profile (.cpuprofile JSON) to `file`. */
  stopProfile(file: string): Promise<void>;
  /** Closes the server and waits for the process to exit. */
  stop(): Promise<void>;
}

const here = fileURLToPath(new URL(".", import.meta.url));

/** Resolves a variant entry's module to a URL the child can import. */
export function variantModuleUrl(variant: VariantEntry, codeDir = here): string {
  if (variant.module.startsWith("file:")) return variant.module;
  if (isAbsolute(variant.module)) return pathToFileURL(variant.module).href;
  return pathToFileURL(join(codeDir, "variants", `${variant.module}${ext}`)).href;
}

/**
 * Starts a variant in a child process (`variant-process.ts`), pinned to `cpu`, and waits
 * until it listens. The child's stderr is forwarded, prefixed with the variant id.
 */
export async function startVariantProcess(variant: VariantEntry, options: StartVariantOptions): Promise<VariantProcess> {
  const codeDir = options.codeDir ?? here;
  const entry = join(codeDir, `variant-process${ext}`);
  const loader = fromSource ? ["--import", import.meta.resolve("tsx")] : [];
  const nodeCommand = [options.node, ...loader, ...(options.nodeArgs ?? []), entry, variantModuleUrl(variant, codeDir)];
  const [command, ...args] = options.cpu === undefined ? nodeCommand : ["taskset", "-c", String(options.cpu), ...nodeCommand];
  // stdout goes to /dev/null: servers that log every call (pino) write there, like a
  // production log shipper that keeps up. The bench talks to the child over IPC.
  const child = spawn(command!, args, { stdio: ["ignore", "ignore", "pipe", "ipc"] });
  child.stderr!.on("data", (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) if (line.trim()) process.stderr.write(`  [${variant.id}] ${line}\n`);
  });
  const waiting: ((message: Record<string, unknown>) => void)[] = [];
  child.on("message", (message: Record<string, unknown>) => waiting.shift()?.(message));
  const next = () => new Promise<Record<string, unknown>>((resolve) => waiting.push(resolve));
  const ask = (command: VariantCommand) => {
    const answer = next();
    child.send(command);
    return answer;
  };

  const ready = await Promise.race([
    next(),
    exited(child).then((code) => Promise.reject(new Error(`variant ${variant.id} exited (${code}) before it was ready`))),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`variant ${variant.id} not ready in time`)), options.readyTimeoutMs ?? 20_000).unref(),
    ),
  ]).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });
  const pid = child.pid!;
  return {
    id: variant.id,
    label: String(ready.label),
    pid,
    url: `http://127.0.0.1:${Number(ready.port)}`,
    protocols: ready.protocols as Protocol[],
    httpVersions: ready.httpVersions as HttpVersion[],
    cors: ready.cors === true,
    memory: () => readProcessMemory(pid),
    async statuses() {
      const { http, grpc } = await ask({ command: "stats" });
      return { http, grpc } as StatusCounts;
    },
    async startProfile(intervalUs) {
      await ask({ command: "profile-start", intervalUs });
    },
    async stopProfile(file) {
      await ask({ command: "profile-stop", file });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = exited(child);
      child.send({ command: "close" } satisfies VariantCommand);
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await done;
      clearTimeout(timer);
    },
  };
}

function exited(child: ChildProcess): Promise<number | string | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode);
  return once(child, "exit").then(([code, signal]) => (code ?? signal) as number | string | null);
}
