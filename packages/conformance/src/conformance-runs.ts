/** One run of the conformance runner: a mode, its config, and the program under test. */
export interface ConformanceRun {
  /** Names the run on the command line and in test titles, e.g. "server-fast-path-off". */
  id: string;
  /** What the run tests, for its totals line. */
  title: string;
  /** The runner's mode: "server" tests our server with its reference client, and vice versa. */
  mode: "server" | "client";
  /** The features the program under test claims (runner Config YAML), relative to the package. */
  config: string;
  /** Test-case patterns expected to fail (one a line, `#` comments), relative to the package. */
  knownFailing: string;
  /** Test-case patterns allowed, not required, to fail (same format); each entry says why. */
  knownFlaky: string;
  /** The program under test (a script of `dist/`) and its arguments; Node runs it. */
  program: string[];
}

/**
 * The runs `pnpm conformance` and the test make, in order: the project's server with its
 * HTTP/2 fast path on (the default) and off (every call through connect), then its client.
 * Both server runs share one config and one known-failing list: the fast path must not
 * change what the server does.
 */
export const CONFORMANCE_RUNS: readonly ConformanceRun[] = [
  {
    id: "server-fast-path-on",
    title: "server, fast path on",
    mode: "server",
    config: "config/server.yaml",
    knownFailing: "config/server-known-failing.txt",
    knownFlaky: "config/server-known-flaky.txt",
    program: ["dist/server-under-test.js", "--fast-path=on"],
  },
  {
    id: "server-fast-path-off",
    title: "server, fast path off",
    mode: "server",
    config: "config/server.yaml",
    knownFailing: "config/server-known-failing.txt",
    knownFlaky: "config/server-known-flaky.txt",
    program: ["dist/server-under-test.js", "--fast-path=off"],
  },
  {
    id: "client",
    title: "client",
    mode: "client",
    config: "config/client.yaml",
    knownFailing: "config/client-known-failing.txt",
    knownFlaky: "config/client-known-flaky.txt",
    program: ["dist/client-under-test.js"],
  },
];
