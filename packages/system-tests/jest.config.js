import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import { createJestConfig } from "../../jest.preset.js";

export default createJestConfig(dirname(fileURLToPath(import.meta.url)), {
  // Builds the server and its `pnpm deploy` bundle first (each step has its own time limit).
  testTimeout: 120_000,
});
