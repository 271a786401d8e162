import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import { createJestConfig } from "../../jest.preset.js";

export default createJestConfig(dirname(fileURLToPath(import.meta.url)), {
  // Launches Chromium and may build the page first: more room than the default.
  testTimeout: 60_000,
});
