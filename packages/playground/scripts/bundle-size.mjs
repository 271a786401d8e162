#!/usr/bin/env node
// Measures what a browser downloads for one typed Connect call with @hello/client: builds
// scripts/bundle-size-entry.ts with Vite in library mode (minified, every dependency
// bundled, browser export conditions), then prints the bytes minified and
// gzipped (zlib, level 9). With a built playground (dist/), prints its JS as well.
// Usage: pnpm --filter @hello/playground bundle-size [--json]
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "vite";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Minified and gzipped sizes of one piece of JavaScript, in bytes. */
function sizes(code) {
  const bytes = Buffer.from(code);
  return { minified: bytes.length, gzipped: gzipSync(bytes, { level: 9 }).length };
}

const output = await build({
  root: packageDir,
  configFile: false,
  logLevel: "warn",
  build: {
    // IIFE, not ES: Vite keeps the whitespace of ES library builds (for their /*#__PURE__*/
    // annotations), which would overstate what an application bundler ships.
    lib: { entry: join(packageDir, "scripts/bundle-size-entry.ts"), formats: ["iife"], name: "entry", fileName: "entry" },
    target: "es2022",
    minify: true,
    write: false,
    sourcemap: false,
  },
});
const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => o.output).filter((o) => o.type === "chunk");
const results = [{ bundle: "createHelloClient + sayHello over Connect", ...sizes(chunks.map((c) => c.code).join("")) }];

const assets = join(packageDir, "dist/assets");
try {
  const js = readdirSync(assets).filter((f) => f.endsWith(".js"));
  results.push({ bundle: "playground page (dist/assets/*.js)", ...sizes(js.map((f) => readFileSync(join(assets, f), "utf8")).join("")) });
} catch {
  // No built playground: only the minimal entry.
}

if (process.argv.includes("--json")) {
  console.log(JSON.stringify(results));
} else {
  for (const r of results) {
    console.log(`${r.bundle}: ${r.minified} bytes minified, ${r.gzipped} bytes gzipped (${(r.gzipped / 1024).toFixed(1)} KiB)`);
  }
}
