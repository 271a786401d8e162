/**
 * @hello/sdk and @hello/client as other projects get them: packed with `pnpm pack` (as
 * publishing would), checked with arethetypeswrong, installed with plain `npm install` into
 * a project outside the workspace, and used from ESM, CommonJS, the `hello` bin and
 * TypeScript (Node and browser resolution) against a real server on port 0, the SDK also
 * through its subpath per proto package (`@hello/sdk/hello/v1`). Also prints the
 * browser bundle size of a minimal Connect call.
 *
 * Needs the packages built (`dist/`): turbo's `^build` runs first, as this package has
 * both as devDependencies. `npm install` reaches the registry for their dependencies.
 * Every command has its own time limit (run-command.ts).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHelloServer, type HelloServer } from "@hello/server";
import { type PackedPackage, packPackage } from "./pack-package.js";
import { assertSucceeded, runCommand } from "./run-command.js";

const PACKAGE_DIR = join(__dirname, "..");
const ROOT = join(PACKAGE_DIR, "../..");
const PUBLISHED = { sdk: join(ROOT, "packages/sdk"), client: join(ROOT, "packages/client") } as const;
const ATTW = join(PACKAGE_DIR, "node_modules/@arethetypeswrong/cli/dist/index.js");
const TSC = join(PACKAGE_DIR, "node_modules/typescript/bin/tsc");
const TYPES_DIR = join(PACKAGE_DIR, "node_modules/@types");
const BUNDLE_SIZE_SCRIPT = join(ROOT, "packages/playground/scripts/bundle-size.mjs");

let workDir: string;
let consumerDir: string;
let server: HelloServer;
const packed: Partial<Record<keyof typeof PUBLISHED, PackedPackage>> = {};

function packedPackage(name: keyof typeof PUBLISHED): PackedPackage {
  const found = packed[name];
  if (found === undefined) throw new Error(`@hello/${name} was not packed (see beforeAll)`);
  return found;
}

/** Runs `node <args>` in the consumer project. */
function node(args: readonly string[], timeoutMs = 30_000) {
  return runCommand(process.execPath, args, { cwd: consumerDir, timeoutMs });
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "hello-packages-"));
  const tarballs = join(workDir, "tarballs");
  consumerDir = join(workDir, "consumer");
  mkdirSync(tarballs);
  mkdirSync(consumerDir);
  packed.sdk = await packPackage(PUBLISHED.sdk, tarballs);
  packed.client = await packPackage(PUBLISHED.client, tarballs);

  // A project of its own, outside the workspace: nothing resolves to the workspace's
  // node_modules. Both tarballs in one install, as the client depends on @hello/sdk 0.1.0,
  // which is not on the registry.
  writeConsumerFiles(consumerDir);
  assertSucceeded(
    "npm install of the tarballs",
    await runCommand(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", packed.sdk.tarball, packed.client.tarball],
      { cwd: consumerDir, timeoutMs: 240_000 },
    ),
  );

  server = createHelloServer({ port: 0, host: "127.0.0.1" });
  await server.listen();
}, 300_000);

afterAll(async () => {
  await server?.close(1_000);
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

describe.each(["sdk", "client"] as const)("the @hello/%s tarball", (name) => {
  it("holds only its build, its own sources and package files: no tests, no other package's sources", () => {
    const { files, manifest } = packedPackage(name);
    // Bin launchers are committed files outside dist (they work before a build), named by the manifest.
    const bins = Object.values(manifest.bin ?? {}).map((bin) => bin.replace(/^\.\//, ""));
    const outside = files.filter(
      (f) => !/^(dist\/(esm|cjs)\/|src\/|package\.json$|README\.md$|CHANGELOG\.md$|LICENSE)/.test(f) && !bins.includes(f),
    );
    expect(outside).toEqual([]);
    expect(files.filter((f) => /\.test\.|(^|\/)test-support\//.test(f))).toEqual([]);
    // Sources: the package's own, file for file (not another package's, not generated elsewhere).
    expect(files.filter((f) => f.startsWith("src/") && !existsSync(join(PUBLISHED[name], f)))).toEqual([]);
    // Build outputs: each compiled from one of those sources (no stale files of deleted ones).
    const sources = new Set(files.filter((f) => f.startsWith("src/")).map((f) => f.replace(/^src\//, "").replace(/\.ts$/, "")));
    const orphans = files
      .filter((f) => f.startsWith("dist/") && f !== "dist/cjs/package.json")
      .filter((f) => !sources.has(f.replace(/^dist\/(esm|cjs)\//, "").replace(/\.(js|d\.ts)(\.map)?$/, "")));
    expect(orphans).toEqual([]);
  });

  it("has a manifest with real versions, sideEffects false, and every entry point in the tarball", () => {
    const { manifest, files } = packedPackage(name);
    expect(manifest.sideEffects).toBe(false);
    expect(JSON.stringify(manifest.dependencies ?? {})).not.toMatch(/workspace:|catalog:/);
    const targets = [
      manifest.main,
      manifest.module,
      manifest.types,
      ...Object.values(manifest.bin ?? {}),
      ...leavesOf(manifest.exports),
      ...leavesOf(manifest.typesVersions),
    ];
    // A pattern target (`./dist/esm/gen/*/index.js`) must exist for every proto package
    // subpath; with no subpath at all it stays unexpanded, and so missing.
    const subpaths = protoPackageSubpaths(files).map((subpath) => subpath.slice(2));
    const expanded = targets
      .filter((t): t is string => t !== undefined)
      .flatMap((t) => (t.includes("*") && subpaths.length > 0 ? subpaths.map((subpath) => t.replace("*", subpath)) : [t]));
    const missing = expanded.map((t) => t.replace(/^\.\//, "")).filter((t) => !files.includes(t));
    expect(missing).toEqual([]);
    for (const condition of ["import", "require"]) {
      expect(JSON.stringify(manifest.exports)).toContain(`"${condition}":{"types":`);
    }
  });

  it("declares the workspace's Node range, its repository folder and public access, and ships a changelog entry for its version", () => {
    const { manifest, files } = packedPackage(name);
    const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { engines: { node: string } };
    expect(manifest.engines).toEqual({ node: root.engines.node });
    expect(manifest.repository).toEqual({
      type: "git",
      url: expect.stringMatching(/^git\+https:\/\/.+\.git$/),
      directory: `packages/${name}`,
    });
    expect(manifest.publishConfig).toEqual({ access: "public" });
    expect(files).toContain("CHANGELOG.md");
    expect(readFileSync(join(PUBLISHED[name], "CHANGELOG.md"), "utf8")).toMatch(
      new RegExp(`^# @hello/${name}\n\n## ${manifest.version.replace(/\./g, "\\.")}\n`),
    );
  });

  it("passes arethetypeswrong under every module resolution (node10, node16 CJS and ESM, bundler), subpaths included", async () => {
    // attw skips a wildcard export ("./*"): each proto package subpath is named instead.
    const subpaths = protoPackageSubpaths(packedPackage(name).files);
    if (name === "sdk") expect(subpaths).toEqual(expect.arrayContaining(["./hello/v1", "./grpc/health/v1"]));
    const entrypoints = subpaths.length > 0 ? ["--include-entrypoints", ...subpaths] : [];
    const result = await runCommand(process.execPath, [ATTW, packedPackage(name).tarball, "--format", "table-flipped", ...entrypoints], {
      cwd: PACKAGE_DIR,
      timeoutMs: 60_000,
    });
    assertSucceeded(`attw ${name}`, result);
    expect(result.stdout).toContain("No problems found");
    for (const subpath of subpaths) expect(result.stdout).toContain(`"@hello/${name}${subpath.slice(1)}"`);
  });
});

describe("the packages installed from the tarballs with npm", () => {
  it("depend on each other at the published version, and npm ls is clean", async () => {
    expect(packedPackage("client").manifest.dependencies?.["@hello/sdk"]).toBe(packedPackage("sdk").manifest.version);
    const ls = await runCommand("npm", ["ls", "--all"], { cwd: consumerDir, timeoutMs: 60_000 });
    assertSucceeded("npm ls --all", ls);
    expect(ls.stdout).not.toMatch(/UNMET|invalid|extraneous|missing|ERR!/);
    expect(ls.stdout).toMatch(/@hello\/client@0\.1\.0/);
  });

  it("call the server from an ESM script (import), through the ESM build", async () => {
    const result = assertSucceeded("esm.mjs", await node(["esm.mjs", server.url]));
    expect(result.stdout.split("\n")).toEqual([
      "esm: Hello, esm!",
      "service: hello.v1.HelloService",
      expect.stringMatching(/node_modules\/@hello\/client\/dist\/esm\/index\.js$/),
      "subpath: hello.v1.HelloRequest, the namespace's: true",
      expect.stringMatching(/node_modules\/@hello\/sdk\/dist\/esm\/gen\/hello\/v1\/index\.js$/),
      "",
    ]);
  });

  it("call the server from a CommonJS script (require), through the CJS build", async () => {
    const result = assertSucceeded("cjs.cjs", await node(["cjs.cjs", server.url]));
    expect(result.stdout.split("\n")).toEqual([
      "cjs: Hello, cjs!",
      "service: hello.v1.HelloService",
      expect.stringMatching(/node_modules\/@hello\/client\/dist\/cjs\/index\.js$/),
      "subpath: hello.v1.HelloRequest, the namespace's: true",
      expect.stringMatching(/node_modules\/@hello\/sdk\/dist\/cjs\/gen\/hello\/v1\/index\.js$/),
      "",
    ]);
  });

  it("install the hello command", async () => {
    const result = assertSucceeded(
      "hello say",
      await node([join(consumerDir, "node_modules/.bin/hello"), "--url", server.url, "say", "bin"]),
    );
    expect(result.stdout).toBe("Hello, bin!\n");
  });

  it("typecheck in TypeScript projects: Node ESM and CommonJS (nodenext), and browsers (bundler, browser condition)", async () => {
    for (const project of ["tsconfig.node.json", "tsconfig.browser.json"]) {
      assertSucceeded(`tsc -p ${project}`, await node([TSC, "-p", project], 120_000));
    }
  });
});

describe("the browser bundle of a minimal Connect call", () => {
  it("builds, minified and gzipped, with packages/playground/scripts/bundle-size.mjs", async () => {
    const result = assertSucceeded(
      "bundle-size.mjs",
      await runCommand(process.execPath, [BUNDLE_SIZE_SCRIPT, "--json"], { cwd: join(ROOT, "packages/playground"), timeoutMs: 120_000 }),
    );
    const sizes = JSON.parse(result.stdout) as { bundle: string; minified: number; gzipped: number }[];
    const minimal = sizes[0];
    expect(minimal?.gzipped).toBeGreaterThan(0);
    // Reported, not asserted: the number to watch, in the test output.
    console.log(sizes.map((s) => `${s.bundle}: ${s.minified} bytes minified, ${s.gzipped} bytes gzipped`).join("\n"));
  });
});

/** The proto package subpaths of a packed package (`./hello/v1`): one per barrel its ESM build has in gen/. */
function protoPackageSubpaths(files: readonly string[]): string[] {
  return files
    .flatMap((file) => /^dist\/esm\/gen\/(.+)\/index\.js$/.exec(file)?.[1] ?? [])
    .map((subpath) => `./${subpath}`)
    .sort();
}

/** Every string in an exports map: the files it points to. */
function leavesOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (value === null || typeof value !== "object") return [];
  return Object.values(value).flatMap(leavesOf);
}

/** The consumer project: a package.json, scripts in ESM and CJS, and TypeScript files. */
function writeConsumerFiles(dir: string): void {
  const files: Record<string, string> = {
    "package.json": JSON.stringify({ name: "hello-consumer", version: "1.0.0", private: true }, null, 2),
    "esm.mjs": `import { createHelloClient } from "@hello/client";
import { HelloService, hello_v1 } from "@hello/sdk";
import { HelloRequestSchema } from "@hello/sdk/hello/v1";

const client = createHelloClient({ baseUrl: process.argv[2], protocol: "grpc" });
try {
  const { reply } = await client.sayHello({ greeting: "esm" }, { timeoutMs: 10_000 });
  console.log(\`esm: \${reply}\`);
  console.log(\`service: \${HelloService.typeName}\`);
  console.log(new URL(import.meta.resolve("@hello/client")).pathname);
  console.log(\`subpath: \${HelloRequestSchema.typeName}, the namespace's: \${HelloRequestSchema === hello_v1.HelloRequestSchema}\`);
  console.log(new URL(import.meta.resolve("@hello/sdk/hello/v1")).pathname);
} finally {
  client.close();
}
`,
    "cjs.cjs": `const { createHelloClient } = require("@hello/client");
const { HelloService, hello_v1 } = require("@hello/sdk");
const { HelloRequestSchema } = require("@hello/sdk/hello/v1");

const client = createHelloClient({ baseUrl: process.argv[2], protocol: "grpc" });
client
  .sayHello({ greeting: "cjs" }, { timeoutMs: 10_000 })
  .then(({ reply }) => {
    console.log(\`cjs: \${reply}\`);
    console.log(\`service: \${HelloService.typeName}\`);
    console.log(require.resolve("@hello/client"));
    console.log(\`subpath: \${HelloRequestSchema.typeName}, the namespace's: \${HelloRequestSchema === hello_v1.HelloRequestSchema}\`);
    console.log(require.resolve("@hello/sdk/hello/v1"));
  })
  .finally(() => client.close());
`,
    // Types as a Node ESM module, a CommonJS module and a browser module see them.
    "types-esm.mts": `import { createHelloClient, fieldViolationsOf, type HelloClient } from "@hello/client";
import { type HelloResponse, HelloService, grpc_reflection_v1, grpc_reflection_v1alpha } from "@hello/sdk";
import { HealthCheckRequestSchema, type HealthCheckResponse } from "@hello/sdk/grpc/health/v1";

const client: HelloClient = createHelloClient({ baseUrl: "http://127.0.0.1:8080", protocol: "grpc" });
export const reply: Promise<HelloResponse> = client.sayHello({ greeting: "hi", replyCount: 1 });
export const state: string | undefined = client.channel?.state();
export const name: string = HelloService.typeName;
export const fields: string[] = fieldViolationsOf(new Error("x")).map((v) => v.field);
export const health: string = HealthCheckRequestSchema.typeName;
export const status = (res: HealthCheckResponse): number => res.status;
// Equal message names in two packages, each in its own namespace.
export const reflection: [string, string] = [
  grpc_reflection_v1.ServerReflectionRequestSchema.typeName,
  grpc_reflection_v1alpha.ServerReflectionRequestSchema.typeName,
];
// @ts-expect-error "http" is not a protocol
createHelloClient({ baseUrl: "http://127.0.0.1:8080", protocol: "http" });
`,
    "types-cjs.cts": `import { createHelloClient, type HelloClient } from "@hello/client";
import { HelloService } from "@hello/sdk";
import { HelloRequestSchema } from "@hello/sdk/hello/v1";

const client: HelloClient = createHelloClient({ baseUrl: "http://127.0.0.1:8080", protocol: "connect", httpVersion: "1.1" });
export const reply: Promise<string> = client.sayHello({ greeting: "hi" }).then((res) => res.reply);
export const name: string = HelloService.typeName;
export const request: string = HelloRequestSchema.typeName;
// @ts-expect-error a subpath holds its own package only: HelloService is not in grpc.health.v1
export { HelloService as NotHealth } from "@hello/sdk/grpc/health/v1";
`,
    "types-browser.ts": `import { createHelloClient } from "@hello/client";
import { HelloRequestSchema } from "@hello/sdk/hello/v1";

const client = createHelloClient({ baseUrl: "https://example.com", protocol: "connect" });
export const reply: Promise<string> = client.sayHello({ greeting: "hi" }).then((res) => res.reply);
export const request: string = HelloRequestSchema.typeName;
// @ts-expect-error the browser client has no HTTP/2 channel
export const channel = client.channel;
`,
    "tsconfig.node.json": JSON.stringify(
      {
        compilerOptions: {
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          strict: true,
          noEmit: true,
          // Check the packages' declaration files too, not only their use.
          skipLibCheck: false,
          // @types/node from the workspace: the packages' types need Node's, as any Node project has.
          typeRoots: [TYPES_DIR],
          types: ["node"],
        },
        files: ["types-esm.mts", "types-cjs.cts"],
      },
      null,
      2,
    ),
    "tsconfig.browser.json": JSON.stringify(
      {
        compilerOptions: {
          module: "esnext",
          moduleResolution: "bundler",
          customConditions: ["browser"],
          target: "es2022",
          lib: ["es2022", "dom", "dom.iterable"],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        files: ["types-browser.ts"],
      },
      null,
      2,
    ),
  };
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
}
