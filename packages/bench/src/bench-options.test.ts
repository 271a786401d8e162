import { parseBenchOptions, SUPPORTED_NODES } from "./bench-options.js";

describe("parseBenchOptions()", () => {
  it("runs the supported Nodes, 22, 24 and 26, unless told otherwise", () => {
    expect(SUPPORTED_NODES).toEqual(["22", "24", "26"]);
    expect(parseBenchOptions([]).nodes).toEqual(["22", "24", "26"]);
    expect(parseBenchOptions(["--", "--full"]).nodes).toEqual(["22", "24", "26"]);
    expect(parseBenchOptions(["--node", "supported"]).nodes).toEqual(["22", "24", "26"]);
  });

  it("runs the Node running the bench in smoke mode, and any one or list asked for", () => {
    expect(parseBenchOptions(["--smoke"]).nodes).toEqual(["current"]);
    expect(parseBenchOptions(["--node", "24,26"]).nodes).toEqual(["24", "26"]);
    expect(parseBenchOptions(["--node", "20"]).nodes).toEqual(["20"]);
  });

  it("refuses a Node it cannot run", () => {
    expect(() => parseBenchOptions(["--node", "18"])).toThrow(/--node must be/);
    expect(() => parseBenchOptions(["--node", "both"])).toThrow(/--node must be/);
  });
});
