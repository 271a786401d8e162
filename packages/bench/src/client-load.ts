/**
 * Child-process entry that drives one server with one client library and prints one JSON
 * line of results: `node client-load.js <client module URL> <options JSON>` (see
 * {@link ClientLoadOptions}). The bench pins it to its own CPU; its CPU time per call is
 * read with `process.cpuUsage()` over the measured period only.
 */
import type { ClientDriverModule, OpenStreamShape } from "./clients/client-driver.js";

/**
 * What one client load run does: keep `inFlight` calls of one kind going for the warm-up and
 * the measured period, or (`open-streams`) open `inFlight` streams that stay open and
 * measure the process's memory once they all are.
 */
export interface ClientLoadOptions {
  url: string;
  kind: "unary" | "server-stream" | "client-stream" | "bidi" | "open-streams";
  /** Calls kept in flight; for `open-streams`, the streams held open. */
  inFlight: number;
  /**
   * Messages per call: the replies asked of LotsOfReplies, the greetings sent to
   * LotsOfGreetings or BidiHello (each answered); 1 for SayHello.
   */
  messagesPerCall: number;
  /** The kind of stream `open-streams` holds open. */
  openShape?: OpenStreamShape;
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
  /** `open-streams`: the process's RSS before the first stream opened and once all were open, KiB. */
  rssBeforeKiB?: number;
  rssOpenKiB?: number;
}

/** Runs `options.inFlight` loops of calls for the warm-up and then the measured period. */
export async function runClientLoad(module: ClientDriverModule, options: ClientLoadOptions): Promise<ClientLoadResult> {
  if (options.kind === "open-streams") return openStreams(module, options);
  const driver = module.createDriver(options.url);
  const n = options.messagesPerCall;
  const call = async (): Promise<void> => {
    switch (options.kind) {
      case "unary":
        return driver.sayHello();
      case "client-stream":
        return driver.lotsOfGreetings(n);
      case "server-stream":
      case "bidi": {
        const received = options.kind === "bidi" ? await driver.bidiHello(n) : await driver.lotsOfReplies(n);
        if (received !== n) throw new Error(`received ${received} of ${n} replies`);
      }
    }
  };
  let measuring = false;
  let stopping = false;
  let calls = 0;
  let messages = 0;
  let errors = 0;
  let firstError: string | undefined;
  const loop = async () => {
    while (!stopping) {
      try {
        await call();
        if (measuring) {
          calls++;
          messages += n;
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
  // A period in which no call ended (a cold process on a busy machine, short smoke runs)
  // is extended until one does, up to ten times its length: the rate is calls over the
  // time actually measured either way.
  while (calls === 0 && performance.now() - wallBefore < options.durationS * 10_000) await sleep(20);
  measuring = false;
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = (performance.now() - wallBefore) / 1_000;
  stopping = true;
  await Promise.all(loops);
  driver.close();
  return { label: module.label, calls, messages, errors, firstError, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/**
 * Opens `inFlight` streams of `openShape` (the first reply of each received), waits a
 * moment for the allocations to settle, and reads the process's RSS; then ends them all.
 * A stream that fails counts as an error and voids the run.
 */
async function openStreams(module: ClientDriverModule, options: ClientLoadOptions): Promise<ClientLoadResult> {
  const driver = module.createDriver(options.url);
  const shape = options.openShape ?? "bidi";
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  // A first call opens the connection, so that the baseline holds the client's fixed cost.
  await (await driver.openStream(shape))();
  await sleep(200);
  const rssBeforeKiB = process.memoryUsage().rss / 1024;
  const opened = await Promise.allSettled(Array.from({ length: options.inFlight }, () => driver.openStream(shape)));
  await sleep(OPEN_SETTLE_MS);
  const rssOpenKiB = process.memoryUsage().rss / 1024;
  const failed = opened.filter((o): o is PromiseRejectedResult => o.status === "rejected");
  await Promise.all(opened.map((o) => (o.status === "fulfilled" ? o.value() : undefined)));
  const cpu = process.cpuUsage(cpuBefore);
  driver.close();
  return {
    label: module.label,
    calls: opened.length - failed.length,
    messages: opened.length - failed.length,
    errors: failed.length,
    firstError: failed[0] === undefined ? undefined : String(failed[0].reason),
    seconds: (performance.now() - wallBefore) / 1_000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rssBeforeKiB,
    rssOpenKiB,
  };
}

/** How long after the last stream opened the RSS is read (allocations settle, no GC is forced). */
const OPEN_SETTLE_MS = 500;

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
