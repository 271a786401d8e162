/**
 * Child-process entry that drives one server with one client library and prints one JSON
 * line of results: `node client-load.js <client module URL> <options JSON>` (see
 * {@link ClientLoadOptions}). The bench pins it to its own CPU; its CPU time per call is
 * read with `process.cpuUsage()` over the measured period only.
 */
import type { ClientDriverModule } from "./clients/client-driver.js";

/** What one client load run does. */
export interface ClientLoadOptions {
  url: string;
  kind: "unary" | "server-stream";
  /** Calls kept in flight. */
  inFlight: number;
  /** Replies per LotsOfReplies call (server-stream only). */
  replies: number;
  warmUpS: number;
  durationS: number;
}

/** The JSON line a client load process prints. */
export interface ClientLoadResult {
  label: string;
  /** Calls completed in the measured period. */
  calls: number;
  /** Response messages received in the measured period. */
  messages: number;
  /** Calls that failed (at any time): any failure voids the run. */
  errors: number;
  firstError: string | undefined;
  /** Length of the measured period. */
  seconds: number;
  /** Client CPU time (user + system) in the measured period. */
  cpuSeconds: number;
}

/** Runs `options.inFlight` loops of calls for the warm-up and then the measured period. */
export async function runClientLoad(module: ClientDriverModule, options: ClientLoadOptions): Promise<ClientLoadResult> {
  const driver = module.createDriver(options.url);
  let measuring = false;
  let stopping = false;
  let calls = 0;
  let messages = 0;
  let errors = 0;
  let firstError: string | undefined;
  const loop = async () => {
    while (!stopping) {
      try {
        let received = 1;
        if (options.kind === "unary") await driver.sayHello();
        else received = await driver.lotsOfReplies(options.replies);
        if (options.kind === "server-stream" && received !== options.replies) {
          throw new Error(`received ${received} of ${options.replies} replies`);
        }
        if (measuring) {
          calls++;
          messages += received;
        }
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  const loops = Array.from({ length: options.inFlight }, loop);
  await sleep(options.warmUpS * 1_000);
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  measuring = true;
  await sleep(options.durationS * 1_000);
  measuring = false;
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = (performance.now() - wallBefore) / 1_000;
  stopping = true;
  await Promise.all(loops);
  driver.close();
  return { label: module.label, calls, messages, errors, firstError, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  const [moduleUrl, json] = process.argv.slice(2);
  if (!moduleUrl || !json) {
    console.error("usage: client-load <client module URL> <options JSON>");
    process.exit(2);
  }
  const module = (await import(moduleUrl)) as ClientDriverModule;
  const result = await runClientLoad(module, JSON.parse(json) as ClientLoadOptions);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
