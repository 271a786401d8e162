import type { IncomingHttpHeaders } from "node:http2";
import { lazyHeaders } from "./lazy-headers.js";

// Node gives `:status` as a number, which its type leaves out.
const incoming = (): IncomingHttpHeaders => ({
  ":status": 200 as unknown as string,
  "content-type": "application/grpc",
  "set-cookie": ["a=1", "b=2"],
  "x-many": ["1", "2"],
  "x-absent": undefined,
});

describe("lazyHeaders()", () => {
  it("reads as the Headers of the same fields, without the pseudo-headers", () => {
    const header = lazyHeaders(incoming());
    expect(header).toBeInstanceOf(Headers);
    expect([...header]).toEqual([
      ["content-type", "application/grpc"],
      ["set-cookie", "a=1"],
      ["set-cookie", "b=2"],
      ["x-many", "1, 2"],
    ]);
  });

  it("fills on the first use of any method", () => {
    const uses: ((h: Headers) => unknown)[] = [
      (h) => h.get("content-type"),
      (h) => h.has("content-type"),
      (h) => [...h.keys()],
      (h) => [...h.values()],
      (h) => [...h.entries()],
      (h) => h.getSetCookie(),
      (h) => {
        const seen: string[] = [];
        h.forEach((_, key) => seen.push(key));
        return seen;
      },
      (h) => new Headers(h).get("x-many"),
    ];
    for (const use of uses) {
      expect(use(lazyHeaders(incoming()))).toEqual(use(new Headers(lazyHeaders(incoming()))));
    }
    expect(lazyHeaders(incoming()).getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  it("keeps the fields when the first use changes them", () => {
    const set = lazyHeaders(incoming());
    set.set("x-new", "1");
    expect(set.get("content-type")).toBe("application/grpc");
    const appended = lazyHeaders(incoming());
    appended.append("x-many", "3");
    expect(appended.get("x-many")).toBe("1, 2, 3");
    const deleted = lazyHeaders(incoming());
    deleted.delete("x-many");
    expect([...deleted.keys()]).toEqual(["content-type", "set-cookie", "set-cookie"]);
  });
});
