import { parseTraceparent } from "./traceparent.js";

// The example from the spec: https://www.w3.org/TR/trace-context/#examples-of-http-traceparent-headers
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID = "00f067aa0ba902b7";
const VALID = `00-${TRACE_ID}-${PARENT_ID}-01`;

describe("parseTraceparent()", () => {
  it("reads the spec's example", () => {
    expect(parseTraceparent(VALID)).toEqual({ version: "00", traceId: TRACE_ID, parentId: PARENT_ID, traceFlags: 1 });
    expect(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-00`)?.traceFlags).toBe(0);
  });

  it("ignores a missing header", () => {
    expect(parseTraceparent(undefined)).toBeUndefined();
    expect(parseTraceparent(null)).toBeUndefined();
    expect(parseTraceparent("")).toBeUndefined();
  });

  it.each([
    ["an all-zero trace id", `00-${"0".repeat(32)}-${PARENT_ID}-01`],
    ["an all-zero parent id", `00-${TRACE_ID}-${"0".repeat(16)}-01`],
    ["version ff", `ff-${TRACE_ID}-${PARENT_ID}-01`],
    ["uppercase hex", VALID.toUpperCase()],
    ["a short trace id", `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`],
    ["a short parent id", `00-${TRACE_ID}-${PARENT_ID.slice(1)}-01`],
    ["one-digit flags", `00-${TRACE_ID}-${PARENT_ID}-1`],
    ["non-hex characters", `00-${TRACE_ID.replace("4", "g")}-${PARENT_ID}-01`],
    ["wrong separators", VALID.replaceAll("-", "_")],
    ["extra fields on version 00", `${VALID}-what`],
    ["trailing characters on version 00", `${VALID}x`],
    ["two headers joined by a comma", `${VALID}, ${VALID}`],
    ["a future version with more fields but no dash", `01-${TRACE_ID}-${PARENT_ID}-01x`],
  ])("rejects %s", (_what, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it("rejects several headers given as a list", () => {
    expect(parseTraceparent([VALID, VALID])).toBeUndefined();
  });

  it("reads the version-00 fields of a future version, ignoring what follows", () => {
    expect(parseTraceparent(`cc-${TRACE_ID}-${PARENT_ID}-01-what-the-future-will-be-like`)).toEqual({
      version: "cc",
      traceId: TRACE_ID,
      parentId: PARENT_ID,
      traceFlags: 1,
    });
    expect(parseTraceparent(`01-${TRACE_ID}-${PARENT_ID}-03`)?.traceFlags).toBe(3);
  });
});
