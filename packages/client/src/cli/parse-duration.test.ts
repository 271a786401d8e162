import { parseDuration } from "./parse-duration.js";

describe("parseDuration()", () => {
  it.each([
    ["250ms", 250],
    ["1s", 1_000],
    ["1.5s", 1_500],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["0", 0],
    ["0s", 0],
  ])("parses %s as %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "5", "1d", "s", "-1s", "1 s", "fast"])("refuses %j, naming the format", (text) => {
    const result = parseDuration(text);
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toContain("250ms");
  });
});
