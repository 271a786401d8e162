import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { HelloClient } from "@hello/client";

/** The methods a browser can call: fetch cannot stream a request body, so no client or bidi streams. */
export type PlaygroundMethod = "SayHello" | "LotsOfReplies";

/** What the form asks for. */
export interface CallInput {
  greeting: string;
  /** LotsOfReplies only; 0 lets the server choose (3). */
  replyCount: number;
  /** LotsOfReplies only: milliseconds between replies. */
  replyIntervalMs: number;
  /** The call's deadline in milliseconds; 0 means none. */
  timeoutMs: number;
}

/** How a call ended: "ok", or the snake_case name of its error code, as the Connect protocol spells it. */
export interface CallOutcome {
  code: string;
  /** The error message without the code in front; "" on success. */
  message: string;
  /** Type names of the error details, e.g. "buf.validate.Violations". */
  details: string[];
  /** Headers and trailers that came with an error (an error may arrive without the callbacks). */
  metadata: Headers | undefined;
  /** Milliseconds since the call started. */
  atMs: number;
}

/** Sees one call as it happens; every time is in milliseconds since the call started. */
export interface CallObserver {
  headers(headers: Headers, atMs: number): void;
  message(reply: string, atMs: number): void;
  trailers(trailers: Headers, atMs: number): void;
  end(outcome: CallOutcome): void;
}

/**
 * Makes one call with `client` and reports headers, each message as it arrives, trailers
 * and the outcome to `observer`. Never throws: failures are outcomes.
 */
export async function runCall(
  client: HelloClient,
  method: PlaygroundMethod,
  input: CallInput,
  observer: CallObserver,
  signal?: AbortSignal,
): Promise<CallOutcome> {
  const start = performance.now();
  const since = () => performance.now() - start;
  const options = {
    // The client's default deadline is off (see main.ts): 0 here means no deadline at all.
    ...(input.timeoutMs > 0 ? { timeoutMs: input.timeoutMs } : {}),
    ...(signal ? { signal } : {}),
    onHeader: (headers: Headers) => observer.headers(headers, since()),
    onTrailer: (trailers: Headers) => observer.trailers(trailers, since()),
  };
  let outcome: CallOutcome;
  try {
    if (method === "SayHello") {
      const response = await client.sayHello({ greeting: input.greeting }, options);
      observer.message(response.reply, since());
    } else {
      const request = {
        greeting: input.greeting,
        replyCount: input.replyCount,
        replyInterval: durationFromMs(input.replyIntervalMs),
      };
      for await (const response of client.lotsOfReplies(request, options)) {
        observer.message(response.reply, since());
      }
    }
    outcome = { code: "ok", message: "", details: [], metadata: undefined, atMs: since() };
  } catch (e) {
    const error = ConnectError.from(e);
    outcome = {
      code: codeName(error.code),
      message: error.rawMessage,
      details: error.details.map((d) => ("type" in d ? d.type : d.desc.typeName)),
      metadata: error.metadata,
      atMs: since(),
    };
  }
  observer.end(outcome);
  return outcome;
}

/** `Code.DeadlineExceeded` → "deadline_exceeded" (the Connect protocol's spelling). */
export function codeName(code: Code): string {
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}
