import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { type MetadataEntry, parseMetadataEntry } from "../metadata/parse-metadata-entry.js";
import { parseBaseUrl } from "./env.js";
import { parseDuration } from "./parse-duration.js";

// Same rule as the server's request ids: 1–128 visible ASCII characters.
const VALID_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * Creates the root `hello` command with the options every subcommand shares. Options
 * may come before or after the subcommand (`hello --json say hi`, `hello say hi --json`).
 */
export function createRootCommand(defaultUrl: string) {
  return new Command("hello")
    .option("--url <url>", "server base URL (env HELLO_URL)", parseUrlArg, defaultUrl)
    .addOption(
      new Option("--protocol <protocol>", "wire protocol").choices(["grpc", "grpc-web", "connect"] as const).default("grpc" as const),
    )
    .addOption(new Option("--http1", "use HTTP/1.1 (gRPC-Web and Connect only; cannot carry bidi streams)").conflicts("http2"))
    .addOption(new Option("--http2", "use HTTP/2 (the default; gRPC always uses it)"))
    .option(
      "--timeout <duration>",
      "deadline of the call, e.g. 500ms, 2s, 1m30s; 0 for none (default: 10s for unary calls, none for streams)",
      parseDurationArg,
    )
    .option(
      "-H, --header <key:value>",
      "metadata to send, repeatable; keys ending in -bin take base64 values, sent as binary",
      collectMetadata,
    )
    .option("--json", "machine output on stdout: one JSON object per line, then the status")
    .addOption(new Option("--compress <algorithm>", "compress requests larger than 1 KiB").choices(["gzip", "br"] as const))
    .option("--request-id <id>", "x-request-id of the call (default: a random UUID)", parseRequestIdArg)
    .option("-v, --verbose", "also print response headers and trailers (on stderr)");
}

/** The parsed global options. */
export type GlobalOptions = ReturnType<ReturnType<typeof createRootCommand>["opts"]>;

/** Parses a duration option value for commander, e.g. `--interval 250ms`. */
export function parseDurationArg(text: string): number {
  const ms = parseDuration(text);
  if (ms instanceof Error) {
    throw new InvalidArgumentError(ms.message);
  }
  return ms;
}

function parseUrlArg(text: string): string {
  const url = parseBaseUrl(text);
  if (url instanceof Error) {
    throw new InvalidArgumentError(url.message);
  }
  return url;
}

function collectMetadata(text: string, previous: MetadataEntry[] | undefined): MetadataEntry[] {
  const entry = parseMetadataEntry(text);
  if (entry instanceof Error) {
    throw new InvalidArgumentError(entry.rawMessage);
  }
  return [...(previous ?? []), entry];
}

function parseRequestIdArg(text: string): string {
  if (!VALID_REQUEST_ID.test(text)) {
    throw new InvalidArgumentError("a request id is 1 to 128 visible ASCII characters, without spaces");
  }
  return text;
}
