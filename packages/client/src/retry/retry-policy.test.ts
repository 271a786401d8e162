import { DEFAULT_RETRY_POLICY, resolveRetryPolicy } from "./retry-policy.js";

describe("resolveRetryPolicy()", () => {
  it("fills in the defaults", () => {
    expect(resolveRetryPolicy()).toEqual(DEFAULT_RETRY_POLICY);
    expect(resolveRetryPolicy({ maxAttempts: 2 })).toEqual({ ...DEFAULT_RETRY_POLICY, maxAttempts: 2 });
  });

  it("fills in from a base policy (a client's, under a call's options)", () => {
    const base = { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 20, multiplier: 1.5 };
    expect(resolveRetryPolicy({ multiplier: 3 }, base)).toEqual({ ...base, multiplier: 3 });
  });

  it("raises the default maxBackoffMs to an initialBackoffMs above it", () => {
    expect(resolveRetryPolicy({ initialBackoffMs: 5_000 }).maxBackoffMs).toBe(5_000);
  });

  it("accepts Infinity attempts: retry until the deadline", () => {
    expect(resolveRetryPolicy({ maxAttempts: Number.POSITIVE_INFINITY }).maxAttempts).toBe(Number.POSITIVE_INFINITY);
  });

  it.each([
    [{ maxAttempts: 0 }, /retry.maxAttempts must be an integer of at least 1/],
    [{ maxAttempts: 2.5 }, /retry.maxAttempts/],
    [{ initialBackoffMs: 0 }, /retry.initialBackoffMs must be a number greater than 0/],
    [{ initialBackoffMs: Number.NaN }, /retry.initialBackoffMs/],
    [{ initialBackoffMs: 100, maxBackoffMs: 50 }, /retry.maxBackoffMs must be a number of at least initialBackoffMs \(100\)/],
    [{ multiplier: 0.5 }, /retry.multiplier must be a number of at least 1/],
  ])("refuses %j, naming the field", (options, message) => {
    expect(() => resolveRetryPolicy(options)).toThrow(message);
  });
});
