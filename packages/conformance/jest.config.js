import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import { createJestConfig } from "../../jest.preset.js";

export default createJestConfig(dirname(fileURLToPath(import.meta.url)), {
  // Each mode is one run of the conformance runner, minutes long on a small machine.
  testTimeout: 15 * 60_000,
});
