import type { Readable } from "node:stream";
import { Code, ConnectError } from "@connectrpc/connect";

/**
 * All of a text stream (UTF-8), once it ends. Rejects with `signal`'s reason (CANCELED
 * unless it is a ConnectError already) when it aborts first, e.g. on Ctrl-C while a person
 * is still typing.
 */
export function readText(input: Readable, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer | string) => chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    const cleanup = () => {
      input.off("data", onData).off("end", onEnd).off("error", onError);
      signal.removeEventListener("abort", onAbort);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onAbort = () => {
      cleanup();
      input.pause();
      reject(ConnectError.from(signal.reason, Code.Canceled));
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener("abort", onAbort, { once: true });
    input.on("data", onData).once("end", onEnd).once("error", onError);
  });
}
