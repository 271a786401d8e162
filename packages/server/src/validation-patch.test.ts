/**
 * The workspace's patches that make validation cheaper (patches/, pnpm-workspace.yaml
 * `patchedDependencies`): protovalidate's cursor builds a violation's field path only when
 * a rule is violated, it compiles a predefined rule's CEL expression only when a field sets
 * that rule and no native rule handles it, it evaluates DurationRules' ranges (gt, gte, lt,
 * lte) natively as it does numbers' and strings', and a reflected protobuf message makes its
 * list and map caches on first use. Violations must name exactly the fields they did before,
 * through every kind of step a path can take (field, list index, map key, nested message), the
 * native Duration rules must report what their CEL expressions report, and a message that
 * passes must still pass.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { create, createFileRegistry, type DescMessage, setExtension } from "@bufbuild/protobuf";
import { pathToString, reflect } from "@bufbuild/protobuf/reflect";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  type Duration,
  DurationSchema,
  FieldOptionsSchema,
  FileDescriptorProtoSchema,
  file_google_protobuf_duration,
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

/** A google.protobuf.Duration (not normalised: the tests compare what CEL compares). */
function dur(seconds: bigint, nanos = 0): Duration {
  return create(DurationSchema, { seconds, nanos });
}

/** What a validation reports: each violation's field, rule path, rule id, message and key flag, or the error it throws. */
function outcome(validate: () => ReturnType<ReturnType<typeof createValidator>["validate"]>): string[] {
  try {
    const result = validate();
    if (result.kind === "valid") return [];
    if (result.kind === "error") return [`error: ${result.error.message}`];
    return result.violations.map((v) => `${pathToString(v.field)} | ${pathToString(v.rule)} | ${v.ruleId} | ${v.message} | ${v.forKey}`);
  } catch (error) {
    return [`thrown: ${error instanceof Error ? error.message : String(error)}`];
  }
}

/**
 * `message Durations` with one google.protobuf.Duration field per combination of a lower
 * bound (none, gt, gte) and an upper bound (none, lt, lte) over every pair of `bounds` —
 * ranges, empty ranges and exclusive ones — plus fields whose rules also set const, in,
 * not_in or example (left to CEL).
 */
function durationSchemas(bounds: Duration[]): { Durations: DescMessage; fieldNames: string[] } {
  type DurationRulesInit = {
    greaterThan?: object;
    lessThan?: object;
    const?: Duration;
    in?: Duration[];
    notIn?: Duration[];
    example?: Duration[];
  };
  const combos: DurationRulesInit[] = [];
  for (const lo of [undefined, ...bounds]) {
    for (const hi of [undefined, ...bounds]) {
      for (const loKind of lo ? ["gt", "gte"] : [undefined]) {
        for (const hiKind of hi ? ["lt", "lte"] : [undefined]) {
          if (!loKind && !hiKind) continue;
          combos.push({
            ...(loKind ? { greaterThan: { case: loKind, value: lo } } : {}),
            ...(hiKind ? { lessThan: { case: hiKind, value: hi } } : {}),
          });
        }
      }
    }
  }
  const range = { greaterThan: { case: "gte", value: dur(0n) }, lessThan: { case: "lt", value: dur(10n) } };
  combos.push(
    { ...range, const: dur(1n) },
    { ...range, in: [dur(0n), dur(1n)] },
    { ...range, notIn: [dur(1n)] },
    { ...range, example: [dur(2n)] },
  );
  const fieldNames = combos.map((_, i) => `d${i}`);
  const file = create(FileDescriptorProtoSchema, {
    name: "patchtest/v1/durations.proto",
    package: "patchtest.v1",
    syntax: "proto3",
    dependency: ["buf/validate/validate.proto", "google/protobuf/duration.proto"],
    messageType: [
      {
        name: "Durations",
        field: combos.map((value, i) => ({
          name: `d${i}`,
          number: i + 1,
          jsonName: `d${i}`,
          type: TYPE_MESSAGE,
          typeName: ".google.protobuf.Duration",
          label: LABEL_OPTIONAL,
          options: rules({ type: { case: "duration", value } } as never),
        })),
      },
    ],
  });
  const registry = createFileRegistry(file, (name) =>
    name === "buf/validate/validate.proto"
      ? file_buf_validate_validate
      : name === "google/protobuf/duration.proto"
        ? file_google_protobuf_duration
        : undefined,
  );
  const Durations = registry.getMessage("patchtest.v1.Durations");
  if (Durations === undefined) throw new Error("test schema not built");
  return { Durations, fieldNames };
}

describe("validation with the workspace's patches", () => {
  it("runs the patched protovalidate cursor (paths built on violation)", () => {
    const cursor = join(dirname(require.resolve("@bufbuild/protovalidate")), "cursor.js");
    expect(readFileSync(cursor, "utf8")).toContain("pathBuilder()");
  });

  it("compiles only the CEL expressions of rules a field sets and native rules leave", () => {
    const validator = createValidator();
    celParse.mockClear();
    // HelloRequest's string, uint32 and Duration range rules (gte, lte) are all native: the
    // first validation parses none of the ~90 CEL expressions of their rules messages.
    const timed = create(HelloRequestSchema, { greeting: "hi", replyInterval: { seconds: 1n } });
    expect(validator.validate(HelloRequestSchema, timed).kind).toBe("valid");
    expect(celParse).not.toHaveBeenCalled();
    // With native rules off, only the DurationRules expressions that involve gte or lte are parsed.
    const celOnly = createValidator({ disableNativeRules: true });
    expect(celOnly.validate(HelloRequestSchema, timed).kind).toBe("valid");
    const parsed = celParse.mock.calls.map(([expression]) => String(expression));
    expect(parsed.length).toBeGreaterThan(0);
    for (const expression of parsed) expect(expression).toMatch(/rules\.(gte|lte|min_len|max_len)/);
    // Compiled once: later validations parse nothing.
    celParse.mockClear();
    expect(celOnly.validate(HelloRequestSchema, create(HelloRequestSchema, { greeting: "again" })).kind).toBe("valid");
    expect(celOnly.validate(HelloRequestSchema, timed).kind).toBe("valid");
    expect(celParse).not.toHaveBeenCalled();
  });

  it("reports a Duration's range violations natively exactly as their CEL expressions do", () => {
    const native = createValidator();
    const cel = createValidator({ disableNativeRules: true });
    const values = [
      dur(-3n),
      dur(-2n, -500_000_000),
      dur(-2n, -499_999_999),
      dur(0n),
      dur(0n, 1),
      dur(1n),
      dur(1n, 499_999_999),
      dur(1n, 500_000_000),
      dur(1n, 500_000_001),
      dur(9n, 999_999_999),
      dur(10n),
      dur(10n, 1),
      dur(11n),
      dur(1n, -1), // not normalised: compared as CEL compares, seconds first
      dur(400_000_000_000n),
    ];
    const compare = (bounds: Duration[]) => {
      const { Durations, fieldNames } = durationSchemas(bounds);
      const outcomes: string[] = [];
      for (const value of values) {
        const message = create(Durations, Object.fromEntries(fieldNames.map((name) => [name, value])) as never);
        const expected = outcome(() => cel.validate(Durations, message));
        expect(outcome(() => native.validate(Durations, message))).toEqual(expected);
        outcomes.push(...expected);
      }
      return outcomes;
    };
    // Ranges, empty ranges and exclusive ones, with nanos and negative bounds.
    const violations = compare([dur(0n), dur(1n, 500_000_000), dur(10n), dur(-2n, -500_000_000)]);
    expect(violations.length).toBeGreaterThan(500);
    const ids = ["gt", "gte", "lt", "lte", "gt_lt", "gte_lte", "gt_lte_exclusive", "gte_lt_exclusive", "const", "in", "not_in"];
    expect(ids.filter((id) => !violations.some((v) => v.includes(`| duration.${id} |`)))).toEqual([]);
    // A bound JSON cannot encode: CEL evaluates the rules and reports its error, as before.
    expect(compare([dur(0n), dur(315_576_000_001n)])).toContain(
      "error: cannot encode message google.protobuf.Duration to JSON: value out of range",
    );
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
