/**
 * The dependencies the workspace patches (pnpm `patchedDependencies`, diffs in `patches/`)
 * are pinned to exactly the patched version, in the catalog and in what is installed: a new
 * version fails here, and pnpm refuses a patch that no longer applies, until the patch is
 * re-checked against it and renamed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "../../..");
const workspace = readFileSync(join(root, "pnpm-workspace.yaml"), "utf8");

/** `key: value` lines of a top-level YAML block of this file, quotes removed. */
function block(name: string): Map<string, string> {
  const lines = workspace.split("\n");
  const start = lines.indexOf(`${name}:`);
  expect(start).toBeGreaterThanOrEqual(0);
  const entries = new Map<string, string>();
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith(" ") && line.trim() !== "") break;
    const match = /^\s+(["']?)([^"':]+(?::[^"':]+)?)\1:\s*(.+)$/.exec(line);
    if (match && !line.trim().startsWith("#")) entries.set(match[2]!, match[3]!.trim());
  }
  return entries;
}

const patched = [...block("patchedDependencies").keys()].map((key) => {
  const at = key.lastIndexOf("@");
  return { name: key.slice(0, at), version: key.slice(at + 1) };
});

describe("patched dependencies", () => {
  it("are listed (the server's per-call costs rely on them)", () => {
    expect(patched.map((p) => p.name).sort()).toEqual(["@bufbuild/protobuf", "@bufbuild/protovalidate"]);
  });

  it.each(patched.map((p) => [p.name, p.version]))("%s: the catalog pins exactly %s", (name, version) => {
    expect(block("catalog").get(name)).toBe(version);
  });

  it.each(patched.map((p) => [p.name, p.version]))("%s: the installed version is %s", (name, version) => {
    // The server's own link to it (pnpm), as Node resolves it from the server's code.
    const manifest = JSON.parse(readFileSync(join(__dirname, "../node_modules", name, "package.json"), "utf8")) as {
      version: string;
    };
    expect(manifest.version).toBe(version);
  });
});
