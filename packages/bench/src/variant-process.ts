/**
 * Child-process entry that runs one server variant: `node variant-process.js <module URL>`,
 * spawned with an IPC channel (stdout is free for the server's own logs). Messages:
 * - to the bench `{ event: "ready", port, pid, label, protocols, httpVersions, cors }` once listening;
 * - `{ command: "stats" }` → `{ event: "stats", http, grpc }`: statuses written so far;
 * - `{ command: "profile-start", intervalUs }` / `{ command: "profile-stop", file }` → a CPU
 *   profile (the inspector's sampling profiler) of just that window, written as a
 *   .cpuprofile; answered `{ event: "profile" }`;
 * - `{ command: "close" }`, a closed channel or SIGTERM → the server closes, the process exits 0.
 */
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { installStatusCounter } from "./status-counter.js";
import type { ServerVariantModule } from "./variants/server-variant.js";
import { ALL_PROTOCOLS } from "./workloads.js";

/** What the bench sends. */
export type VariantCommand =
  | { command: "stats" | "close" }
  | { command: "profile-start"; intervalUs: number }
  | { command: "profile-stop"; file: string };

const moduleUrl = process.argv[2];
if (!moduleUrl || !process.send) {
  console.error("usage: variant-process <module URL>, spawned with an IPC channel");
  process.exit(2);
}
const send = (message: object) => process.send!(message);

const counts = await installStatusCounter();
const variant = (await import(moduleUrl)) as ServerVariantModule;
const running = await variant.start(0, { host: "127.0.0.1" });
send({
  event: "ready",
  port: running.port,
  pid: process.pid,
  label: variant.label,
  protocols: variant.protocols ?? ALL_PROTOCOLS,
  httpVersions: variant.httpVersions ?? ["h2"],
  cors: variant.cors ?? false,
});

let closing = false;
function close(): void {
  if (closing) return;
  closing = true;
  // Whatever is still open (a client that did not hang up) must not keep the process alive.
  setTimeout(() => process.exit(0), 2_000).unref();
  running.close().then(
    () => process.exit(0),
    () => process.exit(0),
  );
}

let profiler: Session | undefined;
async function profile(message: VariantCommand): Promise<void> {
  if (message.command === "profile-start") {
    profiler = new Session();
    profiler.connect();
    await profiler.post("Profiler.enable");
    await profiler.post("Profiler.setSamplingInterval", { interval: message.intervalUs });
    await profiler.post("Profiler.start");
  } else if (message.command === "profile-stop" && profiler) {
    const { profile } = await profiler.post("Profiler.stop");
    await writeFile(message.file, JSON.stringify(profile));
    profiler.disconnect();
    profiler = undefined;
  }
  send({ event: "profile" });
}

process.on("message", (message: VariantCommand) => {
  switch (message.command) {
    case "stats":
      send({ event: "stats", ...counts });
      break;
    case "profile-start":
    case "profile-stop":
      void profile(message);
      break;
    case "close":
      close();
      break;
  }
});
process.on("disconnect", close);
process.on("SIGTERM", close);
process.on("SIGINT", close);
