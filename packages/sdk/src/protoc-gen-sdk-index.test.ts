/**
 * scripts/protoc-gen-sdk-index.mjs, the buf plugin that writes the index files of src/gen:
 * run by the real `buf` with the repository's buf.gen.yaml on protos of its own, and fed
 * code generator requests directly for the cases `buf` would not build.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  CodeGeneratorRequestSchema,
  CodeGeneratorResponseSchema,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import { assertSucceeded, runCommand, runNode } from "./test-support/run-node.js";

const PACKAGE_DIR = join(__dirname, "..");
const ROOT = join(PACKAGE_DIR, "../..");
const PLUGIN = join(ROOT, "scripts/protoc-gen-sdk-index.mjs");
const BUF = join(PACKAGE_DIR, "node_modules/.bin/buf");
const TSC = join(PACKAGE_DIR, "node_modules/typescript/bin/tsc");

let workDir: string;

beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), "sdk-index-"));
});

afterEach(() => {
  rmSync(workDir, { recursive: true, force: true });
});

/** Writes files under the work folder, making their folders. */
function writeFiles(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(workDir, path)), { recursive: true });
    writeFileSync(join(workDir, path), text);
  }
}

/** A proto3 file descriptor with one empty message per name. */
function protoFile(name: string, pkg: string, messages: readonly string[]): FileDescriptorProto {
  return create(FileDescriptorProtoSchema, { name, package: pkg, syntax: "proto3", messageType: messages.map((m) => ({ name: m })) });
}

/** Runs the plugin on a request for `files`, with the options of buf.gen.yaml. */
function runPlugin(files: readonly FileDescriptorProto[]) {
  const request = create(CodeGeneratorRequestSchema, {
    fileToGenerate: files.map((file) => file.name),
    parameter: "target=ts,import_extension=js",
    protoFile: [...files],
  });
  return runNode([PLUGIN], { cwd: ROOT, input: toBinary(CodeGeneratorRequestSchema, request) });
}

/** The files of a successful plugin run, by name. */
function generatedFiles(files: readonly FileDescriptorProto[]): Record<string, string> {
  const response = fromBinary(CodeGeneratorResponseSchema, assertSucceeded("the plugin", runPlugin(files)).stdoutBytes);
  expect(response.error).toBe("");
  return Object.fromEntries(response.file.map((file) => [file.name, file.content]));
}

describe("protoc-gen-sdk-index through buf generate and buf.gen.yaml", () => {
  it("keeps two packages' messages named Item apart: each in the namespace of its package", () => {
    writeFiles({
      "proto/a/v1/item.proto": 'syntax = "proto3";\npackage a.v1;\nmessage Item { string name = 1; }\n',
      "proto/b/v1/item.proto": 'syntax = "proto3";\npackage b.v1;\nmessage Item { int32 count = 1; }\n',
    });
    // The repository's template as it is (both plugins, their options); the input and the
    // output folder are this test's.
    assertSucceeded(
      "buf generate",
      runCommand(BUF, ["generate", join(workDir, "proto"), "--template", "buf.gen.yaml", "-o", join(workDir, "out")], { cwd: ROOT }),
    );
    const gen = join(workDir, "out/packages/sdk/src/gen");
    expect(readFileSync(join(gen, "index.ts"), "utf8")).toMatch(
      /^export \* as a_v1 from "\.\/a\/v1\/index\.js";\n(.*\n)?export \* as b_v1 from "\.\/b\/v1\/index\.js";$/m,
    );

    // Compiled as the SDK is (strict, NodeNext) and loaded by Node: a name clash would fail
    // the compile (TS2308) or leave the namespaces without their Item.
    writeFiles({
      "package.json": JSON.stringify({ type: "module" }),
      "tsconfig.json": JSON.stringify({
        compilerOptions: { module: "nodenext", target: "es2022", strict: true, skipLibCheck: true, types: [], rootDir: gen, outDir: "js" },
        include: [gen],
      }),
    });
    symlinkSync(join(PACKAGE_DIR, "node_modules"), join(workDir, "node_modules"), "dir");
    assertSucceeded("tsc", runNode([TSC, "-p", workDir], { cwd: workDir, timeoutMs: 120_000 }));
    const probe = `
      const root = await import("./js/index.js");
      console.log(JSON.stringify({
        namespaces: Object.keys(root),
        a: [root.a_v1.ItemSchema.typeName, root.a_v1.ItemSchema.fields.map((f) => f.name)],
        b: [root.b_v1.ItemSchema.typeName, root.b_v1.ItemSchema.fields.map((f) => f.name)],
      }));
    `;
    const loaded = JSON.parse(assertSucceeded("node", runNode(["--input-type=module", "-e", probe], { cwd: workDir })).stdout) as unknown;
    expect(loaded).toEqual({ namespaces: ["a_v1", "b_v1"], a: ["a.v1.Item", ["name"]], b: ["b.v1.Item", ["count"]] });
  });
});

describe("protoc-gen-sdk-index on a code generator request", () => {
  it("writes one barrel per package directory, every file of the package in name order, and a root index", () => {
    const files = generatedFiles([
      protoFile("shop/v1/order.proto", "shop.v1", ["Order"]),
      protoFile("shop/v1/item.proto", "shop.v1", ["Item"]),
      protoFile("stock/v1/item.proto", "stock.v1", ["Item"]),
    ]);
    expect(Object.keys(files).sort()).toEqual(["index.ts", "shop/v1/index.ts", "stock/v1/index.ts"]);
    expect(files["shop/v1/index.ts"]).toBe(
      "// @generated by protoc-gen-sdk-index (scripts/protoc-gen-sdk-index.mjs)\n" +
        "// @generated from package shop.v1 (shop/v1/item.proto, shop/v1/order.proto)\n" +
        "/* eslint-disable */\n\n" +
        'export * from "./item_pb.js";\n' +
        'export * from "./order_pb.js";\n',
    );
    expect(files["index.ts"]).toBe(
      "// @generated by protoc-gen-sdk-index (scripts/protoc-gen-sdk-index.mjs)\n" +
        "// @generated from packages shop.v1, stock.v1\n" +
        "/* eslint-disable */\n\n" +
        "/** Proto package `shop.v1`: the exports of `./shop/v1`. */\n" +
        'export * as shop_v1 from "./shop/v1/index.js";\n' +
        "/** Proto package `stock.v1`: the exports of `./stock/v1`. */\n" +
        'export * as stock_v1 from "./stock/v1/index.js";\n',
    );
  });

  it("writes the same files whatever the order of the request", () => {
    const files = [
      protoFile("b/v1/b.proto", "b.v1", ["Item"]),
      protoFile("a/v1/a.proto", "a.v1", ["Item"]),
      protoFile("a/v1/c.proto", "a.v1", []),
    ];
    expect(generatedFiles(files)).toEqual(generatedFiles([...files].reverse()));
  });

  it("refuses a directory with two proto packages, whose names one barrel would mix", () => {
    const result = runPlugin([protoFile("x/v1/a.proto", "a.v1", ["Item"]), protoFile("x/v1/b.proto", "b.v1", ["Item"])]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('x/v1/ holds two proto packages, "a.v1" and "b.v1"');
  });

  it("refuses two directories that would get the same namespace name", () => {
    const result = runPlugin([protoFile("a_b/v1/x.proto", "a_b.v1", []), protoFile("a/b_v1/y.proto", "a.b_v1", [])]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('would both be exported as the namespace "a_b_v1"');
  });

  it("refuses a proto file with no directory, whose barrel would be the root index", () => {
    const result = runPlugin([protoFile("loose.proto", "loose", ["Item"])]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("loose.proto has no directory");
  });
});
