import { existsSync } from "node:fs";
import { cp, lstat, mkdir, mkdtemp, readdir, readlink, realpath, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";

/** A frozen copy of the built workspace packages a run executes. */
export interface FrozenWorkspace {
  /** The copy of this package's `dist`, where the variant processes are started from. */
  benchDist: string;
  /** Workspace packages copied, e.g. ["@hello/bench", "@hello/server", "@hello/sdk"]. */
  packages: string[];
  /** Deletes the copy. */
  dispose(): Promise<void>;
}

/**
 * Copies the built workspace packages the bench runs (this package and every workspace
 * package it depends on, transitively: `package.json` and `dist`) into a temporary
 * directory, each with a `node_modules` of links: to the copies for workspace packages,
 * to the same (immutable) pnpm store directories for everything else. Variants started from
 * the copy run the code that was built when the bench began, even if someone rebuilds
 * or edits the workspace meanwhile: every round measures the same server, and a `dist`
 * deleted by a concurrent build cannot fail a run.
 */
export async function freezeWorkspace(benchDir: string, workspaceRoot: string): Promise<FrozenWorkspace> {
  const root = await mkdtemp(join(tmpdir(), "hello-bench-code-"));
  const packagesDir = await realpath(join(workspaceRoot, "packages"));
  const copies = new Map<string, string>(); // real source dir → copy
  try {
    const queue = [await realpath(benchDir)];
    const names: string[] = [];
    // First pass: find the closure and copy package.json + dist.
    for (let i = 0; i < queue.length; i++) {
      const source = queue[i]!;
      const copy = join(root, basename(source));
      copies.set(source, copy);
      await mkdir(copy, { recursive: true });
      await cp(join(source, "package.json"), join(copy, "package.json"));
      // A test-only package (a devDependency, e.g. @hello/test-fixtures) has no dist and runs in no variant.
      if (existsSync(join(source, "dist"))) await cp(join(source, "dist"), join(copy, "dist"), { recursive: true });
      names.push(basename(source));
      for (const { target } of await dependencyLinks(source)) {
        if (target.startsWith(`${packagesDir}/`) && !queue.includes(target)) queue.push(target);
      }
    }
    // Second pass: node_modules of links.
    for (const [source, copy] of copies) {
      for (const { name, target } of await dependencyLinks(source)) {
        const link = join(copy, "node_modules", name);
        await mkdir(resolve(link, ".."), { recursive: true });
        await symlink(copies.get(target) ?? target, link, "dir");
      }
    }
    return {
      benchDist: join(copies.get(queue[0]!)!, "dist"),
      packages: names,
      dispose: () => rm(root, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

/** A package's direct dependencies as pnpm links them: name → real directory. */
async function dependencyLinks(packageDir: string): Promise<{ name: string; target: string }[]> {
  const modules = join(packageDir, "node_modules");
  const links: { name: string; target: string }[] = [];
  const visit = async (dir: string, prefix: string) => {
    for (const entry of await readdir(dir)) {
      if (entry.startsWith(".")) continue; // .bin, .modules.yaml, .pnpm
      const path = join(dir, entry);
      const stat = await lstat(path);
      if (entry.startsWith("@") && stat.isDirectory()) await visit(path, `${entry}/`);
      else if (stat.isSymbolicLink()) {
        await readlink(path); // a dangling link throws here, before realpath hides why
        links.push({ name: `${prefix}${entry}`, target: await realpath(path) });
      }
    }
  };
  await visit(modules, "");
  return links;
}
