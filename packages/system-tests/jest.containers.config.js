// The container tests (src/containers): the image, docker-compose.yml and deploy/k8s run by a
// real container engine. They exercise the image and the engine, not the Node running jest,
// so `pnpm test` runs them once (the `test:containers` task), after this package's suites.
import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import { createJestConfig } from "../../jest.preset.js";

export default createJestConfig(dirname(fileURLToPath(import.meta.url)), {
  testMatch: ["<rootDir>/src/containers/**/*.test.ts"],
  // One engine, one image tag, one set of base images: one file at a time.
  maxWorkers: 1,
  // Installing the engine and assembling base images are the test files' beforeAll; every
  // step there has its own, longer, time limit.
  testTimeout: 120_000,
});
