import { encodeBinaryHeader } from "@connectrpc/connect";
import type { MetadataEntry } from "./parse-metadata-entry.js";

/**
 * Turns metadata entries into request headers for a call's `headers` option. Repeated
 * keys are all sent, in order; binary values are base64-encoded, as gRPC and Connect
 * carry `-bin` metadata.
 *
 * @example
 * const headers = metadataToHeaders([{ key: "x-trace-bin", value: new Uint8Array([0, 1]) }]);
 * await client.sayHello({ greeting: "hi" }, { headers });
 */
export function metadataToHeaders(entries: Iterable<MetadataEntry>): Headers {
  const headers = new Headers();
  for (const { key, value } of entries) {
    headers.append(key, typeof value === "string" ? value : encodeBinaryHeader(value));
  }
  return headers;
}
