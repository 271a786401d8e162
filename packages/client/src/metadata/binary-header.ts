import { Code, ConnectError, decodeBinaryHeader, encodeBinaryHeader } from "@connectrpc/connect";
import { BINARY_METADATA_SUFFIX, isBinaryMetadataKey } from "./parse-metadata-entry.js";

/**
 * Appends binary metadata: `value` travels base64-encoded under `key`, which must end in
 * `-bin` (gRPC sends the values of other keys as they are, so bytes would be mangled).
 * Returns `headers`, for chaining.
 *
 * @example
 * const headers = appendBinaryHeader(new Headers(), "x-echo-trace-bin", new Uint8Array([0, 255]));
 * await client.sayHello({ greeting: "hi" }, { headers });
 */
export function appendBinaryHeader(headers: Headers, key: string, value: Uint8Array): Headers {
  assertBinaryKey(key);
  headers.append(key, encodeBinaryHeader(value));
  return headers;
}

/**
 * The decoded values of binary metadata `key` (which must end in `-bin`), in order: one per
 * value sent, since repeated keys arrive joined with commas. Empty when the key is absent.
 * Accepts base64 with or without padding, standard or URL-safe, as gRPC requires.
 *
 * @example
 * let trace: Uint8Array[] = [];
 * await client.sayHello(req, { headers, onHeader: (h) => (trace = binaryHeaderValues(h, "x-echo-trace-bin")) });
 */
export function binaryHeaderValues(headers: Headers, key: string): Uint8Array[] {
  assertBinaryKey(key);
  const joined = headers.get(key);
  if (joined === null) {
    return [];
  }
  return joined.split(",").map((value) => decodeBinaryHeader(value.trim()));
}

function assertBinaryKey(key: string): void {
  if (!isBinaryMetadataKey(key)) {
    throw new ConnectError(
      `metadata key "${key}" does not end in "${BINARY_METADATA_SUFFIX}": only such keys carry binary values`,
      Code.InvalidArgument,
    );
  }
}
