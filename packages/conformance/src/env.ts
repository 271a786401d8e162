/** The environment the conformance harness reads, validated. */
export interface ConformanceEnv {
  /**
   * Path of the `connectconformance` runner to use instead of looking for one (see
   * `locateRunner`). Unset: look in the usual places.
   */
  CONNECTCONFORMANCE: string | undefined;
}

/**
 * Reads the harness's environment variables, once, here and nowhere else. Throws when one is
 * set but unusable (an empty path): a mistake in the environment must not silently fall back
 * to another runner.
 */
export function readEnv(env: NodeJS.ProcessEnv = process.env): ConformanceEnv {
  const runner = env.CONNECTCONFORMANCE;
  if (runner !== undefined && runner.trim() === "") {
    throw new Error("CONNECTCONFORMANCE is set but empty: unset it, or set it to the path of connectconformance");
  }
  return { CONNECTCONFORMANCE: runner };
}
