/**
 * The workspace's patches that make validation cheaper (patches/, pnpm-workspace.yaml
 * `patchedDependencies`): protovalidate's cursor builds a violation's field path only when
 * a rule is violated, it compiles a predefined rule's CEL expression only when a field sets
 * that rule and no native rule handles it, and a reflected protobuf message makes its list and
 * map caches on first use. Violations must name exactly the fields they did before, through every kind
 * of step a path can take (field, list index, map key, nested message), and a message that
 * passes must still pass.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { create, createFileRegistry, type DescMessage, setExtension } from "@bufbuild/protobuf";
import { pathToString, reflect } from "@bufbuild/protobuf/reflect";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldOptionsSchema,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import { createValidator } from "@bufbuild/protovalidate";
import {
  field as fieldRulesExtension,
  type FieldRules,
  FieldRulesSchema,
  file_buf_validate_validate,
} from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { HelloRequestSchema } from "@hello/sdk";

/** `@bufbuild/cel` as protovalidate loads it, with `parse` counted (each call compiles one expression). */
const celParse = jest.fn();
jest.mock(require.resolve("@bufbuild/cel", { paths: [require.resolve("@bufbuild/protovalidate")] }), () => {
  const actual = jest.requireActual(require.resolve("@bufbuild/cel", { paths: [require.resolve("@bufbuild/protovalidate")] }));
  return {
    ...actual,
    parse: (...args: unknown[]) => {
      celParse(...args);
      return actual.parse(...args);
    },
  };
});

/** Field options carrying protovalidate rules. */
function rules(init: Parameters<typeof create<typeof FieldRulesSchema>>[1]) {
  const options = create(FieldOptionsSchema);
  setExtension(options, fieldRulesExtension, create(FieldRulesSchema, init) as FieldRules);
  return options;
}

const { OPTIONAL: LABEL_OPTIONAL, REPEATED: LABEL_REPEATED } = FieldDescriptorProto_Label;
const { STRING: TYPE_STRING, MESSAGE: TYPE_MESSAGE } = FieldDescriptorProto_Type;

/**
 * `message Inner { string name = 1 [min_len 1]; }` and `message Outer` with a repeated
 * string (items min_len 2), a map<string, string> (values min_len 1), an Inner and a
 * repeated Inner: every kind of step a field path has.
 */
function testSchemas(): { Outer: DescMessage } {
  const string = (name: string, number: number, extra: object = {}) => ({
    name,
    number,
    jsonName: name,
    type: TYPE_STRING,
    label: LABEL_OPTIONAL,
    ...extra,
  });
  const file = create(FileDescriptorProtoSchema, {
    name: "patchtest/v1/patch_test.proto",
    package: "patchtest.v1",
    syntax: "proto3",
    dependency: ["buf/validate/validate.proto"],
    messageType: [
      { name: "Inner", field: [string("name", 1, { options: rules({ type: { case: "string", value: { minLen: 1n } } }) })] },
      {
        name: "Outer",
        field: [
          string("items", 1, {
            label: LABEL_REPEATED,
            options: rules({ type: { case: "repeated", value: { items: { type: { case: "string", value: { minLen: 2n } } } } } }),
          }),
          {
            name: "labels",
            number: 2,
            jsonName: "labels",
            type: TYPE_MESSAGE,
            typeName: ".patchtest.v1.Outer.LabelsEntry",
            label: LABEL_REPEATED,
            options: rules({ type: { case: "map", value: { values: { type: { case: "string", value: { minLen: 1n } } } } } }),
          },
          { name: "inner", number: 3, jsonName: "inner", type: TYPE_MESSAGE, typeName: ".patchtest.v1.Inner", label: LABEL_OPTIONAL },
          { name: "children", number: 4, jsonName: "children", type: TYPE_MESSAGE, typeName: ".patchtest.v1.Inner", label: LABEL_REPEATED },
        ],
        nestedType: [{ name: "LabelsEntry", field: [string("key", 1), string("value", 2)], options: { mapEntry: true } }],
      },
    ],
  });
  const registry = createFileRegistry(file, (name) => (name === "buf/validate/validate.proto" ? file_buf_validate_validate : undefined));
  const Outer = registry.getMessage("patchtest.v1.Outer");
  if (Outer === undefined) throw new Error("test schema not built");
  return { Outer };
}

describe("validation with the workspace's patches", () => {
  it("runs the patched protovalidate cursor (paths built on violation)", () => {
    const cursor = join(dirname(require.resolve("@bufbuild/protovalidate")), "cursor.js");
    expect(readFileSync(cursor, "utf8")).toContain("pathBuilder()");
  });

  it("compiles only the CEL expressions of rules a field sets and native rules leave", () => {
    const validator = createValidator();
    celParse.mockClear();
    // HelloRequest's string and uint32 rules are native; its Duration rules (gte, lte) are CEL.
    // Only the DurationRules expressions that involve gte or lte are parsed — not the other
    // DurationRules ones, nor any of the ~70 StringRules and UInt32Rules ones.
    const timed = create(HelloRequestSchema, { greeting: "hi", replyInterval: { seconds: 1n } });
    expect(validator.validate(HelloRequestSchema, timed).kind).toBe("valid");
    const parsed = celParse.mock.calls.map(([expression]) => String(expression));
    expect(parsed.length).toBeGreaterThan(0);
    expect(parsed.length).toBeLessThanOrEqual(6);
    for (const expression of parsed) expect(expression).toMatch(/rules\.(gte|lte)/);
    // Compiled once: later validations parse nothing.
    expect(validator.validate(HelloRequestSchema, create(HelloRequestSchema, { greeting: "again" })).kind).toBe("valid");
    expect(validator.validate(HelloRequestSchema, timed).kind).toBe("valid");
    expect(celParse).toHaveBeenCalledTimes(parsed.length);
  });

  it("names every violated field through fields, list indexes, map keys and nested messages", () => {
    const { Outer } = testSchemas();
    const validator = createValidator();
    const message = create(Outer, {
      items: ["ok", "x", "fine", ""],
      labels: { a: "", b: "set", "c d": "" },
      inner: { name: "" },
      children: [{ name: "c" }, { name: "" }],
    } as never);
    const result = validator.validate(Outer, message);
    expect(result.kind).toBe("invalid");
    const violations = result.kind === "invalid" ? result.violations : [];
    expect(violations.map((v) => [pathToString(v.field), v.ruleId]).sort()).toEqual(
      [
        ["items[1]", "string.min_len"],
        ["items[3]", "string.min_len"],
        ['labels["a"]', "string.min_len"],
        ['labels["c d"]', "string.min_len"],
        ["inner.name", "string.min_len"],
        ["children[1].name", "string.min_len"],
      ].sort(),
    );
    // A message that breaks no rule, and one that breaks a single one with failFast.
    const valid = create(Outer, { items: ["ok"], labels: { a: "1" }, inner: { name: "n" }, children: [{ name: "c" }] } as never);
    expect(validator.validate(Outer, valid).kind).toBe("valid");
    const failFast = createValidator({ failFast: true }).validate(Outer, message);
    expect(failFast.kind === "invalid" ? failFast.violations.map((v) => pathToString(v.field)) : []).toEqual(["items[1]"]);
  });

  it("names HelloRequest's fields as before", () => {
    const validator = createValidator();
    const result = validator.validate(
      HelloRequestSchema,
      create(HelloRequestSchema, { greeting: "", replyCount: 1001, replyInterval: { seconds: 11n } }),
    );
    expect(result.kind === "invalid" ? result.violations.map((v) => v.toString()) : []).toEqual([
      "greeting: must be at least 1 characters [string.min_len]",
      "reply_count: must be less than or equal to 1000 [uint32.lte]",
      "reply_interval: must be greater than or equal to 0s and less than or equal to 10s [duration.gte_lte]",
    ]);
  });

  it("makes a reflected message's list and map caches on first use, and keeps them", () => {
    const { Outer } = testSchemas();
    const reflected = reflect(Outer, create(Outer, { items: ["a"], labels: { k: "v" } } as never)) as unknown as {
      lists?: Map<unknown, unknown>;
      maps?: Map<unknown, unknown>;
      get(field: unknown): unknown;
      fields: readonly { name: string }[];
    };
    expect(reflected.lists).toBeUndefined();
    expect(reflected.maps).toBeUndefined();
    const items = reflected.fields.find((f) => f.name === "items");
    const labels = reflected.fields.find((f) => f.name === "labels");
    const list = reflected.get(items);
    expect(reflected.get(items)).toBe(list);
    expect(reflected.lists?.size).toBe(1);
    const map = reflected.get(labels);
    expect(reflected.get(labels)).toBe(map);
    expect(reflected.maps?.size).toBe(1);
  });
});
