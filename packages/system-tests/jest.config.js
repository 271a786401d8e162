import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import { createJestConfig } from "../../jest.preset.js";

export default createJestConfig(dirname(fileURLToPath(import.meta.url)), {
  // Builds the server and its `pnpm deploy` bundle first (each step has its own time limit).
  testTimeout: 120_000,
  // The container tests run once per `pnpm test`, not once per Node major: jest.containers.config.js.
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/src/containers/"],
});
