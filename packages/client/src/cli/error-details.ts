import { createRegistry, fromBinary, type JsonValue, toJson } from "@bufbuild/protobuf";
import { base64Encode } from "@bufbuild/protobuf/wire";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import type { ConnectError } from "@connectrpc/connect";
import { type FieldViolation, fieldViolationsOf } from "../errors/field-violations-of.js";

// The detail types the CLI can decode to JSON. Others are shown by type name (and debug JSON).
const registry = createRegistry(ViolationsSchema);

/**
 * The typed details of an error as readable lines, e.g. for a buf.validate violation:
 * `greeting: must be at least 1 characters (rule string.min_len)`. Details of other types
 * are named by their type.
 */
export function describeErrorDetails(error: ConnectError): string[] {
  const lines: string[] = [];
  for (const detail of error.details) {
    const type = "desc" in detail ? detail.desc.typeName : detail.type;
    if (type === ViolationsSchema.typeName) continue;
    const debug = "debug" in detail && detail.debug !== undefined ? `: ${JSON.stringify(detail.debug)}` : "";
    lines.push(`detail ${type}${debug}`);
  }
  return [...lines, ...fieldViolationsOf(error).map(describeViolation)];
}

/**
 * The typed details of an error as JSON: `{ type, value }` with the message's JSON for
 * types the CLI knows, the base64 of the bytes otherwise (plus the server's `debug`).
 */
export function errorDetailsToJson(error: ConnectError): JsonValue[] {
  return error.details.map((detail): JsonValue => {
    if ("desc" in detail) {
      return { type: detail.desc.typeName };
    }
    const desc = registry.getMessage(detail.type);
    if (desc !== undefined) {
      try {
        return { type: detail.type, value: toJson(desc, fromBinary(desc, detail.value), { registry }) };
      } catch {
        // Undecodable bytes: shown as base64 below.
      }
    }
    return {
      type: detail.type,
      value: base64Encode(detail.value),
      ...(detail.debug !== undefined ? { debug: detail.debug } : {}),
    };
  });
}

/** `greeting: must be at least 1 characters (rule string.min_len)`. */
function describeViolation(violation: FieldViolation): string {
  const notes: string[] = [];
  if (violation.rule !== "") notes.push(`rule ${violation.rule}`);
  // Custom (CEL) rules have an id of their own; standard rules' ids repeat the rule path.
  if (violation.ruleId !== "" && violation.ruleId !== violation.rule) notes.push(`id ${violation.ruleId}`);
  const where = violation.field === "" ? "" : `${violation.field}: `;
  return `${where}${violation.message}${notes.length === 0 ? "" : ` (${notes.join(", ")})`}`;
}
