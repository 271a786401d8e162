/**
 * The README's quick start against what CI runs: its test line is `.ci/run`'s command
 * verbatim, and every pnpm it names is the one `packageManager` pins.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "../../..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const ci = readFileSync(join(root, ".ci/run"), "utf8");
const packageManager = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { packageManager: string }).packageManager;

/** The commands of the quick start's first shell block, trailing comments dropped. */
const quickStart = (/## Quick start\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "")
  .split("\n")
  .map((line) => line.replace(/\s+#.*$/, "").trim())
  .filter((line) => line !== "");

describe("the README's quick start", () => {
  it("has one line that starts the server and one that runs every test", () => {
    expect(quickStart).toHaveLength(2);
    expect(quickStart[0]).toMatch(/ start$/);
    expect(quickStart[1]).toMatch(/ test$/);
  });

  it("runs the tests with exactly the command .ci/run runs", () => {
    const command = /^(npx [^\n|]*? test)\b/m.exec(ci)?.[1];
    expect(command).toBeDefined();
    expect(quickStart[1]).toBe(command);
  });

  it("names only the pnpm that packageManager pins", () => {
    const named = [...readme.matchAll(/pnpm@([\w.-]+)/g)].map((m) => `pnpm@${m[1]}`);
    expect(named.length).toBeGreaterThan(0);
    expect(new Set(named)).toEqual(new Set([packageManager]));
  });
});
