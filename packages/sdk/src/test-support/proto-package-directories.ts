import { readdirSync } from "node:fs";
import { join } from "node:path";

/** The folder `buf generate` writes into. */
export const GEN_DIR = join(__dirname, "..", "gen");

/**
 * The directories under `dir` (default: src/gen) that hold code of protoc-gen-es (`*_pb.ts`),
 * as `/`-separated paths relative to it, sorted: the proto package directories, found on disk
 * so that a test covers a package added later without an edit.
 */
export function protoPackageDirectories(dir: string = GEN_DIR): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith("_pb.ts"))
    .map((file) => file.split(/[\\/]/).slice(0, -1).join("/"))
    .filter((directory, index, all) => all.indexOf(directory) === index)
    .sort();
}

/** The `_pb.ts` files of one proto package directory, relative to it, sorted. */
export function protoFilesOf(directory: string, dir: string = GEN_DIR): string[] {
  return readdirSync(join(dir, directory))
    .filter((file) => file.endsWith("_pb.ts"))
    .sort();
}
