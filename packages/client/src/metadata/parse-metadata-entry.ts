import { Code, ConnectError } from "@connectrpc/connect";
import { base64Decode } from "@bufbuild/protobuf/wire";

/** One metadata entry, as given on a command line: text, or bytes for a `-bin` key. */
export interface MetadataEntry {
  /** The key, lower-cased. */
  readonly key: string;
  /** Text for ASCII keys; the decoded bytes for `-bin` keys. */
  readonly value: string | Uint8Array;
}

/** Keys starting with this prefix belong to the gRPC protocol itself (PROTOCOL-HTTP2.md). */
export const RESERVED_METADATA_PREFIX = "grpc-";

/** Keys ending with this suffix carry binary values, base64-encoded on the wire. */
export const BINARY_METADATA_SUFFIX = "-bin";

// Headers the HTTP transport owns: HTTP/2 forbids the connection-specific ones (RFC 9113
// §8.2.2), and the others describe the request body, which the protocol writes itself.
const TRANSPORT_HEADERS = new Set([
  "connection",
  "content-length",
  "content-type",
  "host",
  "keep-alive",
  "proxy-connection",
  "te",
  "transfer-encoding",
  "upgrade",
]);

// Hints for the reserved keys people reach for most.
const RESERVED_HINTS: Record<string, string> = {
  "grpc-timeout": " (set a deadline with --timeout / timeoutMs instead)",
  "grpc-encoding": " (compress requests with --compress / sendCompression instead)",
};

// PROTOCOL-HTTP2.md: Header-Name → 1*( %x30-39 / %x61-7A / "_" / "-" / "." ).
const VALID_KEY = /^[0-9a-z_.-]+$/;
// PROTOCOL-HTTP2.md: ASCII-Value → 1*( %x20-%x7E ); we also allow the empty value.
const VALID_ASCII_VALUE = /^[\x20-\x7e]*$/;
// Standard or URL-safe alphabet, padded or not: gRPC implementations must accept both.
const VALID_BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Whether `key` carries binary values (ends with `-bin`). */
export function isBinaryMetadataKey(key: string): boolean {
  return key.toLowerCase().endsWith(BINARY_METADATA_SUFFIX);
}

/**
 * Parses one `key:value` metadata entry, as given to `hello -H`. The key is lower-cased
 * and must be a valid gRPC metadata key that the caller may set: `grpc-*` keys are
 * reserved for the protocol, and transport headers (`content-type`, `te`, …) belong to
 * the HTTP layer. Values of `-bin` keys are base64 (standard or URL-safe, padding
 * optional) and come back decoded; other values must be printable ASCII. Whitespace
 * after the colon is ignored, as in curl.
 *
 * Returns the entry, or the reason it was refused as a `ConnectError` with
 * INVALID_ARGUMENT.
 *
 * @example
 * parseMetadataEntry("x-tenant: acme");    // { key: "x-tenant", value: "acme" }
 * parseMetadataEntry("x-trace-bin:AAEC");  // { key: "x-trace-bin", value: Uint8Array [0, 1, 2] }
 * parseMetadataEntry("grpc-timeout:1S");   // ConnectError: … reserved …
 */
export function parseMetadataEntry(text: string): MetadataEntry | ConnectError {
  const colon = text.indexOf(":");
  if (colon < 0) {
    return invalid(`metadata "${text}" is not of the form key:value`);
  }
  const key = text.slice(0, colon).trim().toLowerCase();
  const raw = text.slice(colon + 1).replace(/^[ \t]+/, "");
  if (key === "") {
    return invalid(`metadata "${text}" has an empty key`);
  }
  if (!VALID_KEY.test(key)) {
    return invalid(`metadata key "${key}" is invalid: use only a-z, 0-9, "-", "_" and "."`);
  }
  if (key.startsWith(RESERVED_METADATA_PREFIX)) {
    return invalid(
      `metadata key "${key}" is reserved: keys starting with "${RESERVED_METADATA_PREFIX}" belong to the gRPC protocol${RESERVED_HINTS[key] ?? ""}`,
    );
  }
  if (TRANSPORT_HEADERS.has(key)) {
    return invalid(`metadata key "${key}" is reserved: the HTTP transport sets it`);
  }
  if (isBinaryMetadataKey(key)) {
    const value = raw.trim();
    // Four base64 characters carry three bytes; a lone trailing character carries none.
    if (!VALID_BASE64.test(value) || value.replace(/=+$/, "").length % 4 === 1) {
      return invalid(`metadata "${key}" is a binary (-bin) key: its value must be base64, got "${value}"`);
    }
    return { key, value: base64Decode(value) };
  }
  if (!VALID_ASCII_VALUE.test(raw)) {
    return invalid(
      `metadata "${key}" must be printable ASCII; for other bytes use a key ending in "${BINARY_METADATA_SUFFIX}" with a base64 value`,
    );
  }
  return { key, value: raw };
}

function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}
