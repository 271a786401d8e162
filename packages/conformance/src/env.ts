import { CONFORMANCE_RUNS } from "./conformance-runs.js";

/** The environment the conformance harness reads, validated. */
export interface ConformanceEnv {
  /**
   * Path of the `connectconformance` runner to use instead of looking for one (see
   * `locateRunner`). Unset: look in the usual places.
   */
  CONNECTCONFORMANCE: string | undefined;
  /**
   * Ids of the runs the test makes (comma-separated, see `CONFORMANCE_RUNS`). Unset: all,
   * as `pnpm test` runs them (`test:conformance`); set it to rerun some of them through jest.
   */
  CONFORMANCE_RUNS: string[] | undefined;
}

/**
 * Reads the harness's environment variables, once, here and nowhere else. Throws when one is
 * set but unusable (an empty path, an unknown run): a mistake in the environment must not silently fall back
 * to another runner.
 */
export function readEnv(env: NodeJS.ProcessEnv = process.env): ConformanceEnv {
  const runs = env.CONFORMANCE_RUNS?.split(",").map((id) => id.trim());
  const unknown = runs?.filter((id) => !CONFORMANCE_RUNS.some((run) => run.id === id)) ?? [];
  if (unknown.length > 0) {
    throw new Error(
      `CONFORMANCE_RUNS names unknown runs (${unknown.join(", ")}): pick from ${CONFORMANCE_RUNS.map((run) => run.id).join(", ")}`,
    );
  }
  const runner = env.CONNECTCONFORMANCE;
  if (runner !== undefined && runner.trim() === "") {
    throw new Error("CONNECTCONFORMANCE is set but empty: unset it, or set it to the path of connectconformance");
  }
  return { CONNECTCONFORMANCE: runner, CONFORMANCE_RUNS: runs };
}
