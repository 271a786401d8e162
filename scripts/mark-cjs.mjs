// Marks a build folder as CommonJS so Node loads its .js files with require semantics
// inside an otherwise "type": "module" package.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
if (!dir) throw new Error("usage: mark-cjs <dir>");
writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "commonjs" }) + "\n");
