import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import { createJestConfig } from "../../jest.preset.js";

export default createJestConfig(dirname(fileURLToPath(import.meta.url)), {
  // npm installs the tarballs' dependencies from the registry, and Vite bundles the browser
  // entry: each step has its own time limit (see run-command.ts); the suite gets room for them.
  testTimeout: 300_000,
});
