// Shared jest configuration: TypeScript through swc (fast, no type checking: `typecheck`
// does that), Node environment, tests beside the code.
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = dirname(fileURLToPath(import.meta.url));

/**
 * Builds the jest config of one workspace package.
 * @param {string} packageDir absolute path of the package
 * @param {Partial<import("jest").Config>} [overrides]
 * @returns {import("jest").Config}
 */
export function createJestConfig(packageDir, overrides = {}) {
  return {
    rootDir: packageDir,
    testEnvironment: "node",
    testMatch: ["<rootDir>/src/**/*.test.ts"],
    transform: {
      "^.+\\.ts$": [
        "@swc/jest",
        {
          jsc: { parser: { syntax: "typescript" }, target: "es2022" },
          module: { type: "commonjs" },
        },
      ],
    },
    moduleNameMapper: {
      // Sources import with ".js" suffixes (NodeNext); jest resolves the .ts file.
      "^(\\.{1,2}/.*)\\.js$": "$1",
      // Workspace packages resolve to their sources, so tests need no build step.
      "^@hello/(sdk|client|server|test-fixtures)$": join(root, "packages/$1/src/index.ts"),
      "^@hello/sdk/(.+)$": join(root, "packages/sdk/src/gen/$1/index.ts"),
    },
    // Real servers and sockets: give slow CI machines room, but never hang forever.
    testTimeout: 30_000,
    ...overrides,
  };
}
