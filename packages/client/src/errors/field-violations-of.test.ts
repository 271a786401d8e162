import { create } from "@bufbuild/protobuf";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { Code, ConnectError } from "@connectrpc/connect";
import { fieldViolationsOf } from "./field-violations-of.js";

const violations = create(ViolationsSchema, {
  violations: [
    {
      field: { elements: [{ fieldName: "reply_count", fieldNumber: 2 }] },
      rule: { elements: [{ fieldName: "uint32" }, { fieldName: "lte" }] },
      ruleId: "uint32.lte",
      message: "value must be less than or equal to 1000",
    },
    {
      field: {
        elements: [
          { fieldName: "items", subscript: { case: "index", value: 2n } },
          { fieldName: "labels", subscript: { case: "stringKey", value: "env" } },
        ],
      },
      rule: { elements: [{ fieldName: "cel", subscript: { case: "index", value: 0n } }] },
      ruleId: "label_known",
      message: "unknown label",
    },
  ],
});

describe("fieldViolationsOf()", () => {
  it("lists the violations of a buf.validate.Violations detail", () => {
    const error = new ConnectError("invalid", Code.InvalidArgument, undefined, [{ desc: ViolationsSchema, value: violations }]);
    expect(fieldViolationsOf(error)).toEqual([
      {
        field: "reply_count",
        rule: "uint32.lte",
        ruleId: "uint32.lte",
        message: "value must be less than or equal to 1000",
      },
      { field: 'items[2].labels["env"]', rule: "cel[0]", ruleId: "label_known", message: "unknown label" },
    ]);
  });

  it("is empty for errors without violations, and for anything else", () => {
    expect(fieldViolationsOf(new ConnectError("down", Code.Unavailable))).toEqual([]);
    expect(fieldViolationsOf(new Error("plain"))).toEqual([]);
    expect(fieldViolationsOf("text")).toEqual([]);
  });
});
