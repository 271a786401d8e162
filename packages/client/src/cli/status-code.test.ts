import { Code } from "@connectrpc/connect";
import { codeName, exitCodeOf, exitStatusHelp } from "./status-code.js";

describe("codeName()", () => {
  it("spells codes as the gRPC spec does", () => {
    expect(codeName(0)).toBe("OK");
    expect(codeName(Code.DeadlineExceeded)).toBe("DEADLINE_EXCEEDED");
    expect(codeName(Code.Unauthenticated)).toBe("UNAUTHENTICATED");
  });
});

describe("exitCodeOf()", () => {
  it("is 0 for OK and the code number otherwise", () => {
    expect(exitCodeOf(0)).toBe(0);
    expect(exitCodeOf(Code.InvalidArgument)).toBe(3);
    expect(exitCodeOf(Code.Unauthenticated)).toBe(16);
  });
});

describe("exitStatusHelp()", () => {
  it("lists every code and the usage error", () => {
    const help = exitStatusHelp();
    for (let code = 1; code <= 16; code++) {
      expect(help).toMatch(new RegExp(`\\b${code}  ${codeName(code as Code)}\\b`));
    }
    expect(help).toContain("64  usage error");
  });
});
