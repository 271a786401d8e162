import { readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The version of the `@hello/client` package the running `hello` comes from: found from
 * the script being run (the bin, its launcher or `src/cli/main.ts`), through symlinks, by
 * the nearest package.json named `@hello/client` above it. "unknown" when there is none
 * (the CLI embedded elsewhere). Read from disk because the CLI is also compiled to
 * CommonJS, where `import.meta.url` does not exist.
 */
export function packageVersion(script: string | undefined = process.argv[1]): string {
  if (script === undefined) return "unknown";
  let dir: string;
  try {
    dir = dirname(realpathSync(script));
  } catch {
    return "unknown";
  }
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown; version?: unknown };
      if (manifest.name === "@hello/client" && typeof manifest.version === "string") return manifest.version;
    } catch {
      // No package.json here (or not JSON): look further up.
    }
    const parent = dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
}
