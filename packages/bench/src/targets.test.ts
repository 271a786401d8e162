import { formatRatio } from "./targets.js";

describe("formatRatio()", () => {
  it("gives two decimals when they tell the ratio from its bound", () => {
    expect(formatRatio(0.7234, 0.6)).toBe("0.72");
    expect(formatRatio(1.0449, 1)).toBe("1.04");
    expect(formatRatio(0.6, 0.6)).toBe("0.60");
  });

  it("never rounds a ratio onto its bound", () => {
    expect(formatRatio(0.596, 0.6)).toBe("0.596");
    expect(formatRatio(1.004, 1)).toBe("1.004");
    expect(formatRatio(0.9996, 1)).toBe("0.9996");
  });

  it("stops at four decimals", () => {
    expect(formatRatio(0.94999, 0.95)).toBe("0.9500");
  });
});
