import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** What the playground's bundle-size script said, or why it did not run. */
export type BundleSizeResult =
  | { status: "ok"; script: string; output: unknown }
  | { status: "skipped" | "failed"; script: string; reason: string };

/** The script another package owns; the bench only calls it. */
export const BUNDLE_SIZE_SCRIPT = "packages/playground/scripts/bundle-size.mjs";

/**
 * Runs `packages/playground/scripts/bundle-size.mjs` (from the playground package's
 * directory) when it exists, and keeps what it printed: parsed JSON when it prints JSON,
 * else the text.
 */
export async function measureBundleSize(repoRoot: string, node = process.execPath): Promise<BundleSizeResult> {
  const script = join(repoRoot, BUNDLE_SIZE_SCRIPT);
  if (!existsSync(script)) {
    return { status: "skipped", script: BUNDLE_SIZE_SCRIPT, reason: `${BUNDLE_SIZE_SCRIPT} does not exist (yet)` };
  }
  try {
    const { stdout } = await run(node, [script], {
      cwd: join(repoRoot, "packages/playground"),
      timeout: 5 * 60_000,
      maxBuffer: 8 * 1024 * 1024,
    });
    const text = stdout.trim();
    try {
      return { status: "ok", script: BUNDLE_SIZE_SCRIPT, output: JSON.parse(text) as unknown };
    } catch {
      return { status: "ok", script: BUNDLE_SIZE_SCRIPT, output: text };
    }
  } catch (error) {
    const e = error as { message?: string; stderr?: string };
    return { status: "failed", script: BUNDLE_SIZE_SCRIPT, reason: (e.stderr || e.message || String(error)).trim().slice(-2_000) };
  }
}
