import { resolveLogFormat } from "./log-format.js";

describe("resolveLogFormat()", () => {
  it("writes readable lines to a terminal and JSON lines elsewhere when left on auto", () => {
    expect(resolveLogFormat("auto", true)).toBe("pretty");
    expect(resolveLogFormat("auto", false)).toBe("json");
  });

  it("keeps the format asked for, whatever stdout is", () => {
    expect(resolveLogFormat("json", true)).toBe("json");
    expect(resolveLogFormat("json", false)).toBe("json");
    expect(resolveLogFormat("pretty", true)).toBe("pretty");
    expect(resolveLogFormat("pretty", false)).toBe("pretty");
  });
});
