import { computeBackoffMs } from "./compute-backoff.js";

const policy = { initialBackoffMs: 100, maxBackoffMs: 1_000, multiplier: 2 };

describe("computeBackoffMs()", () => {
  it("draws the n-th delay uniformly from [0, initial × multiplier^(n-1))", () => {
    // Just below 1: the top of each range.
    const top = () => 0.999_999;
    expect([1, 2, 3, 4].map((n) => computeBackoffMs(n, policy, top))).toEqual([99, 199, 399, 799]);
    expect([1, 2, 3, 4].map((n) => computeBackoffMs(n, policy, () => 0.5))).toEqual([50, 100, 200, 400]);
  });

  it("can wait no time at all: the jitter is full, from 0", () => {
    expect(computeBackoffMs(3, policy, () => 0)).toBe(0);
  });

  it("caps the range at maxBackoffMs", () => {
    expect(computeBackoffMs(5, policy, () => 0.5)).toBe(500);
    expect(computeBackoffMs(50, policy, () => 0.5)).toBe(500);
    // multiplier^n overflows to Infinity long before this; the cap still holds.
    expect(computeBackoffMs(5_000, policy, () => 0.999_999)).toBe(999);
  });

  it("keeps the range fixed with multiplier 1", () => {
    expect(computeBackoffMs(7, { ...policy, multiplier: 1 }, () => 0.5)).toBe(50);
  });

  it("stays in range when a random source strays outside [0, 1)", () => {
    expect(computeBackoffMs(1, policy, () => 1)).toBe(99);
    expect(computeBackoffMs(1, policy, () => -3)).toBe(0);
  });

  it("uses Math.random by default, within the range", () => {
    for (let i = 0; i < 100; i++) {
      const delay = computeBackoffMs(2, policy);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(200);
    }
  });
});
