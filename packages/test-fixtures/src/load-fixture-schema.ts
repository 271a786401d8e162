import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFileRegistry, type DescService, type FileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

/** The test-only schema: its registry and the service it declares. */
export interface FixtureSchema {
  /** Every file of the schema, its imports (protovalidate, descriptor.proto) included. */
  readonly registry: FileRegistry;
  /** `fixture.v1.NotesService`. */
  readonly notesService: DescService;
}

const root = join(__dirname, "../../..");

let loaded: FixtureSchema | undefined;

/**
 * Compiles `proto/fixture/v1/notes.proto` with the workspace's `buf` (in a temporary buf
 * workspace with protovalidate's schema from `third_party/`) and loads it as runtime
 * descriptors: a service that no generated code knows, as an application's own would be to
 * the platform. Compiled once per process.
 */
export function loadFixtureSchema(): FixtureSchema {
  if (loaded !== undefined) return loaded;
  const dir = mkdtempSync(join(tmpdir(), "hello-fixture-"));
  try {
    cpSync(join(__dirname, "../proto"), join(dir, "fixture-proto"), { recursive: true });
    cpSync(join(root, "third_party/buf"), join(dir, "third_party/buf"), { recursive: true });
    writeFileSync(join(dir, "buf.yaml"), "version: v2\nmodules:\n  - path: fixture-proto\n  - path: third_party\n");
    const image = join(dir, "image.binpb");
    const buf = process.env["BUF_BIN"] ?? join(root, "node_modules/.bin/buf");
    execFileSync(buf, ["build", dir, "--as-file-descriptor-set", "--exclude-source-info", "-o", image], {
      stdio: ["ignore", "ignore", "pipe"],
      timeout: 60_000,
    });
    const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(image)));
    const notesService = registry.getService("fixture.v1.NotesService");
    if (notesService === undefined) throw new Error("fixture.v1.NotesService is missing from the compiled fixture");
    loaded = { registry, notesService };
    return loaded;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
