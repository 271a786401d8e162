import { CallHeaders } from "./call-headers.js";

type Op = [method: "append" | "set" | "get" | "has" | "delete", name: string, value?: string];

/** Runs `ops` on a `Headers` and returns everything observable: results, errors, final contents. */
function observe(headers: Headers, ops: readonly Op[]) {
  const results = ops.map(([method, name, value]) => {
    try {
      const result = (headers[method] as (n: string, v?: string) => unknown).call(headers, name, value);
      return { ok: result ?? null };
    } catch (error) {
      // By name: undici's errors come from another realm than jest's TypeError.
      return { threw: (error as Error).name, message: (error as Error).message };
    }
  });
  const visited: [string, string][] = [];
  headers.forEach((value, key, parent) => {
    expect(parent).toBe(headers);
    visited.push([key, value]);
  });
  return {
    results,
    entries: [...headers],
    keys: [...headers.keys()],
    values: [...headers.values()],
    visited,
    setCookie: headers.getSetCookie(),
    copied: [...new Headers(headers)],
  };
}

// Each case runs on undici's Headers (Node's global) and on CallHeaders: everything must match.
const cases: Record<string, Op[]> = {
  "case-insensitive names, combined values": [
    ["append", "X-Reply", "a"],
    ["append", "x-reply", "b"],
    ["get", "X-REPLY"],
    ["has", "x-Reply"],
    ["set", "x-reply", "c"],
    ["get", "x-reply"],
  ],
  "set-cookie kept apart": [
    ["append", "Set-Cookie", "a=1"],
    ["append", "set-cookie", "b=2"],
    ["get", "set-cookie"],
    ["append", "x", "1"],
    ["set", "set-cookie", "c=3"],
    ["delete", "SET-COOKIE"],
    ["has", "set-cookie"],
    ["append", "set-cookie", "d=4"],
  ],
  "cookie values joined with a semicolon": [
    ["append", "Cookie", "a=1"],
    ["append", "cookie", "b=2"],
    ["get", "cookie"],
  ],
  "sorted iteration": [
    ["set", "zeta", "1"],
    ["set", "alpha", "2"],
    ["append", "set-cookie", "s=1"],
    ["set", "grpc-status", "0"],
    ["set", "content-type", "application/grpc"],
    ["delete", "alpha"],
  ],
  "values trimmed, empty allowed": [
    ["set", "a", "  spaced\t"],
    ["append", "b", ""],
    ["append", "b", " x"],
    ["get", "a"],
    ["get", "b"],
    ["get", "missing"],
  ],
  "invalid names and values throw the same TypeErrors": [
    ["set", "bad name", "v"],
    ["set", "", "v"],
    ["append", "x", "a\nb"],
    ["append", "x", "a\r"],
    ["append", "x", "a\0b"],
    ["set", "x", "\u0101"],
    ["get", "bad:name"],
    ["has", "bad name"],
    ["delete", "(x)"],
    ["set", "x", "latin-1 \u00e9 ok"],
    ["get", "x"],
  ],
};

describe("CallHeaders", () => {
  for (const [name, ops] of Object.entries(cases)) {
    it(`behaves as undici's Headers: ${name}`, () => {
      expect(observe(new CallHeaders(), ops)).toEqual(observe(new Headers(), ops));
    });
  }

  it("is a Headers for instanceof and for Headers' own constructor", () => {
    const headers = new CallHeaders({ "Content-Type": "application/grpc" });
    expect(headers).toBeInstanceOf(Headers);
    expect(new Headers(headers).get("content-type")).toBe("application/grpc");
  });

  it("takes Node's request headers as connect-node converts them", () => {
    const node = {
      ":path": "/x",
      ":method": "POST",
      "content-type": "application/grpc",
      "set-cookie": ["a=1", "b=2"],
      "x-many": ["1", "2"],
      "x-padded": " v ",
    };
    const expected = new Headers();
    expected.append("content-type", "application/grpc");
    expected.append("set-cookie", "a=1");
    expected.append("set-cookie", "b=2");
    expected.append("x-many", "1");
    expected.append("x-many", "2");
    expected.append("x-padded", " v ");
    expect([...CallHeaders.fromNode(node)]).toEqual([...expected]);
    // Names given as plain strings: cookie as Node joins it, and set-cookie, which Node
    // always gives as an array but a headers object made by hand may not.
    const single = CallHeaders.fromNode({ cookie: "a=1; b=2", "set-cookie": "c=3", "x-one": "\t1 " } as never);
    expect([...single]).toEqual([
      ...new Headers([
        ["cookie", "a=1; b=2"],
        ["set-cookie", "c=3"],
        ["x-one", "\t1 "],
      ]),
    ]);
    expect(single.getSetCookie()).toEqual(["c=3"]);
    single.append("x-one", "2");
    expect(single.get("x-one")).toBe("1, 2");
  });

  it("takes the server's own initial response headers as Headers would", () => {
    for (const init of [
      { "content-type": "application/grpc+proto", "grpc-encoding": "gzip" },
      { "grpc-status": "0" },
      { "content-type": "application/json" },
      {},
    ]) {
      const headers = CallHeaders.fromTrusted(init);
      expect([...headers]).toEqual([...new Headers(init)]);
      headers.set("x-added", "1");
      expect(headers.get("x-added")).toBe("1");
    }
    expect([...CallHeaders.fromTrusted(undefined)]).toEqual([]);
  });

  it("tells whether a reserved (grpc-) key was written since it was made", () => {
    const written = (write: (headers: CallHeaders) => void) => {
      const headers = CallHeaders.fromTrusted({ "grpc-status": "0" });
      write(headers);
      return headers.reservedWritten;
    };
    expect(written(() => {})).toBe(false);
    expect(written((h) => h.set("x-reply-count", "1"))).toBe(false);
    expect(written((h) => h.append("x-grpc-like", "1"))).toBe(false);
    expect(written((h) => h.get("grpc-status"))).toBe(false);
    expect(written((h) => h.set("GRPC-Message", "m"))).toBe(true);
    expect(written((h) => h.append("grpc-status", "1"))).toBe(true);
    expect(written((h) => h.delete("grpc-status"))).toBe(true);
    // Same value: still a write (the guard then compares contents).
    expect(written((h) => h.set("grpc-status", "0"))).toBe(true);
    // A write that fails validation writes nothing.
    expect(written((h) => expect(() => h.set("grpc-status", "a\u0100")).toThrow(TypeError))).toBe(false);
  });

  it("lets a callback change the headers while iterating, as undici does", () => {
    const run = (headers: Headers) => {
      headers.set("a", "1");
      headers.set("b", "2");
      const seen: string[] = [];
      headers.forEach((_, key) => {
        seen.push(key);
        headers.delete("b");
        headers.set("c", "3");
      });
      const withCookie: string[] = [];
      headers.forEach((_, key) => {
        withCookie.push(key);
        if (key === "a") headers.append("set-cookie", "late=1");
      });
      const iterated: string[] = [];
      for (const [key] of headers) {
        iterated.push(key);
        headers.set("d", "4");
      }
      return { seen, withCookie, iterated, after: [...headers] };
    };
    expect(run(new CallHeaders())).toEqual(run(new Headers()));
  });
});
