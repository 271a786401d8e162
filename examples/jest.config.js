import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import { createJestConfig } from "../jest.preset.js";

export default createJestConfig(dirname(fileURLToPath(import.meta.url)), {
  // The smoke test sits beside the example folders, not in a src/ folder.
  testMatch: ["<rootDir>/*.test.ts"],
  // Every example is a child process with a hard time limit (see examples.test.ts); the
  // test itself gets room for a slow machine running them all.
  testTimeout: 60_000,
});
