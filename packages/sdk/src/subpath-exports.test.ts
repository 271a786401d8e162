/**
 * The built package as Node loads it: `@hello/sdk` and one subpath per proto package
 * directory (`@hello/sdk/hello/v1`), through the ESM build for `import` and the CJS build for
 * `require`. A child process inside packages/sdk resolves the package's own name through its
 * exports map (self-reference), as a consumer's would. Needs `dist/`: turbo's test task
 * builds first; the packed tarball is checked in @hello/package-tests.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { GEN_DIR, protoPackageDirectories } from "./test-support/proto-package-directories.js";
import { assertSucceeded, runNode } from "./test-support/run-node.js";

const PACKAGE_DIR = join(__dirname, "..");

/**
 * What a probe reports per specifier: the file it loaded, its export names, and for a subpath
 * whether they are the instances of the root namespace (one module, not a copy).
 */
type Loaded = Record<string, { file: string; names: string[]; sameAsNamespace: boolean | null }>;

const ESM_PROBE = `
const root = await import("@hello/sdk");
const loaded = {};
for (const specifier of process.argv.slice(1)) {
  const module = await import(specifier);
  const namespace = root[specifier.slice("@hello/sdk/".length).replaceAll("/", "_")] ?? {};
  loaded[specifier] = {
    file: new URL(import.meta.resolve(specifier)).pathname,
    names: Object.keys(module).sort(),
    sameAsNamespace: specifier === "@hello/sdk" ? null : Object.keys(module).every((name) => module[name] === namespace[name]),
  };
}
console.log(JSON.stringify(loaded));
`;

const CJS_PROBE = `
const root = require("@hello/sdk");
const loaded = {};
for (const specifier of process.argv.slice(1)) {
  const module = require(specifier);
  const namespace = root[specifier.slice("@hello/sdk/".length).replaceAll("/", "_")] ?? {};
  loaded[specifier] = {
    file: require.resolve(specifier),
    names: Object.keys(module).sort(),
    sameAsNamespace: specifier === "@hello/sdk" ? null : Object.keys(module).every((name) => module[name] === namespace[name]),
  };
}
console.log(JSON.stringify(loaded));
`;

const directories = protoPackageDirectories();

beforeAll(() => {
  for (const build of ["esm", "cjs"]) {
    if (!existsSync(join(PACKAGE_DIR, "dist", build, "index.js"))) {
      throw new Error(`dist/${build} is missing: run \`pnpm --filter @hello/sdk build\` first (turbo's test task does)`);
    }
  }
});

describe.each([
  { build: "esm", condition: "import", probe: ESM_PROBE, inputType: "module" },
  { build: "cjs", condition: "require", probe: CJS_PROBE, inputType: "commonjs" },
])("the $build build, loaded with $condition", ({ build, probe, inputType }) => {
  let loaded: Loaded;

  beforeAll(() => {
    const specifiers = ["@hello/sdk", ...directories.map((directory) => `@hello/sdk/${directory}`)];
    const result = runNode([`--input-type=${inputType}`, "-e", probe, ...specifiers], { cwd: PACKAGE_DIR });
    loaded = JSON.parse(assertSucceeded(`the ${build} probe`, result).stdout) as Loaded;
  });

  it("serves @hello/sdk from the package's index, with the names of its source: the namespaces and the flat names", () => {
    const entry = loaded["@hello/sdk"];
    expect(entry?.file).toBe(join(PACKAGE_DIR, "dist", build, "index.js"));
    const source = require(join(PACKAGE_DIR, "src", "index.ts")) as object;
    expect(entry?.names).toEqual(Object.keys(source).sort());
    expect(entry?.names).toEqual(expect.arrayContaining(directories.map((directory) => directory.replaceAll("/", "_"))));
  });

  it.each(directories)("serves @hello/sdk/%s from the package's barrel, with the names of its source", (directory) => {
    const entry = loaded[`@hello/sdk/${directory}`];
    expect(entry?.file).toBe(join(PACKAGE_DIR, "dist", build, "gen", directory, "index.js"));
    const source = require(join(GEN_DIR, directory, "index.ts")) as object;
    expect(entry?.names).toEqual(Object.keys(source).sort());
  });

  it.each(directories)("gives @hello/sdk/%s the same instances as the root namespace", (directory) => {
    expect(loaded[`@hello/sdk/${directory}`]?.sameAsNamespace).toBe(true);
  });
});
