import { type FieldPath, ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { ConnectError } from "@connectrpc/connect";

/** One broken validation rule of a request, from a `buf.validate.Violations` error detail. */
export interface FieldViolation {
  /** The field, as protovalidate names it: proto field names, e.g. `reply_count`, `items[2].name`, `labels["env"]`. Empty for message-level rules. */
  readonly field: string;
  /** The rule, as a path into the rules: e.g. `uint32.lte`, `string.min_len`. */
  readonly rule: string;
  /** The rule's id: the same as `rule` for standard rules, a custom rule's own id for CEL rules. */
  readonly ruleId: string;
  /** What is wrong, for people: e.g. `value must be less than or equal to 1000`. */
  readonly message: string;
}

/**
 * The field violations an error carries: every violation of every `buf.validate.Violations`
 * detail, as the hello server sends with INVALID_ARGUMENT when a request breaks a rule of
 * the proto. Empty for anything else (other errors, other details, non-errors).
 *
 * @example
 * try {
 *   await client.lotsOfReplies({ greeting: "hi", replyCount: 5000 });
 * } catch (e) {
 *   fieldViolationsOf(e); // [{ field: "reply_count", rule: "uint32.lte", ruleId: "uint32.lte", message: "value must be …" }]
 * }
 */
export function fieldViolationsOf(error: unknown): FieldViolation[] {
  if (!(error instanceof ConnectError)) {
    return [];
  }
  return error.findDetails(ViolationsSchema).flatMap(({ violations }) =>
    violations.map((violation) => ({
      field: fieldPathToString(violation.field),
      rule: fieldPathToString(violation.rule),
      ruleId: violation.ruleId,
      message: violation.message,
    })),
  );
}

/** `items[2].name`, `labels["env"]`: a field path as protovalidate prints it. */
function fieldPathToString(path: FieldPath | undefined): string {
  let text = "";
  for (const element of path?.elements ?? []) {
    text += text === "" ? element.fieldName : `.${element.fieldName}`;
    const { subscript } = element;
    switch (subscript.case) {
      case "index":
      case "intKey":
      case "uintKey":
      case "boolKey":
        text += `[${String(subscript.value)}]`;
        break;
      case "stringKey":
        text += `[${JSON.stringify(subscript.value)}]`;
        break;
      default:
        break;
    }
  }
  return text;
}
