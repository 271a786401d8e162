/**
 * Child-process entry that runs one server variant: `node variant-process.js <module URL>`.
 * Protocol with the bench, one JSON object per line:
 * - stdout `{"event":"ready","port":…,"pid":…,"label":…,"protocols":[…]}` once listening;
 * - stdin `stats` → stdout `{"event":"stats","http":{…},"grpc":{…}}` (statuses written so far);
 * - stdin `profile-start` / `profile-stop <file>` → a CPU profile (the inspector's sampling
 *   profiler, 100 µs interval) of just that window, written as a .cpuprofile; stdout
 *   `{"event":"profile"}` after each;
 * - stdin `close` or SIGTERM → the server closes and the process exits 0 (which is when
 *   `--cpu-prof` writes its profile).
 */
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { createInterface } from "node:readline";
import { installStatusCounter } from "./status-counter.js";
import type { ServerVariantModule } from "./variants/server-variant.js";
import { ALL_PROTOCOLS } from "./workloads.js";

const moduleUrl = process.argv[2];
if (!moduleUrl) {
  console.error("usage: variant-process <module URL>");
  process.exit(2);
}

const counts = await installStatusCounter();
const variant = (await import(moduleUrl)) as ServerVariantModule;
const running = await variant.start(0, { host: "127.0.0.1" });
const send = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
send({
  event: "ready",
  port: running.port,
  pid: process.pid,
  label: variant.label,
  protocols: variant.protocols ?? ALL_PROTOCOLS,
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
async function profile(command: string, file: string): Promise<void> {
  if (command === "profile-start") {
    profiler = new Session();
    profiler.connect();
    await profiler.post("Profiler.enable");
    await profiler.post("Profiler.setSamplingInterval", { interval: 100 });
    await profiler.post("Profiler.start");
  } else if (profiler) {
    const { profile } = await profiler.post("Profiler.stop");
    await writeFile(file, JSON.stringify(profile));
    profiler.disconnect();
    profiler = undefined;
  }
  send({ event: "profile" });
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const [command = "", ...rest] = line.split(" ");
  if (command === "stats") send({ event: "stats", ...counts });
  else if (command === "profile-start" || command === "profile-stop") void profile(command, rest.join(" "));
  else if (command === "close") close();
});
process.stdin.on("end", close);
process.on("SIGTERM", close);
process.on("SIGINT", close);
