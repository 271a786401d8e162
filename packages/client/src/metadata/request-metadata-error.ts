import { Code, ConnectError } from "@connectrpc/connect";
import { isBinaryMetadataKey, parseMetadataEntry } from "./parse-metadata-entry.js";

/**
 * Checks headers that a caller wants to send with a call, by the same rules as
 * {@link parseMetadataEntry}: `grpc-*` keys are reserved for the protocol, transport
 * headers (`content-type`, `te`, …) belong to the HTTP layer, ASCII values must be
 * printable, `-bin` values must be base64 (one value, or several separated by commas, as
 * `Headers` joins repeated keys).
 *
 * Returns a `ConnectError` with INVALID_ARGUMENT naming the first refused key, or
 * undefined when every header may be sent.
 *
 * @example
 * requestMetadataError({ "grpc-timeout": "1S" }); // ConnectError: metadata key "grpc-timeout" is reserved …
 */
export function requestMetadataError(headers: HeadersInit | undefined): ConnectError | undefined {
  if (headers === undefined) {
    return undefined;
  }
  let normalized: Headers;
  try {
    normalized = new Headers(headers);
  } catch (e) {
    // An invalid header name or value (e.g. with a newline): Headers says which.
    return new ConnectError(`invalid metadata: ${String(e instanceof Error ? e.message : e)}`, Code.InvalidArgument);
  }
  for (const [key, value] of normalized) {
    const values = isBinaryMetadataKey(key) ? value.split(",") : [value];
    for (const one of values) {
      const entry = parseMetadataEntry(`${key}:${one.trim()}`);
      if (entry instanceof ConnectError) {
        return entry;
      }
    }
  }
  return undefined;
}
