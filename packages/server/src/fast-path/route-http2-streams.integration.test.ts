import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { routeHttp2Streams } from "./route-http2-streams.js";

describe("routeHttp2Streams()", () => {
  it("gives every stream to serve first; only the ones it declines reach the 'request' listener", async () => {
    const requests: string[] = [];
    const server = http2.createServer((req, res) => {
      requests.push(req.url);
      res.end("compat");
    });
    routeHttp2Streams(server, (stream, headers) => {
      if (headers[":path"] !== "/fast") return false;
      stream.respond({ ":status": 200 });
      stream.end("fast");
      return true;
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const get = (path: string) =>
        new Promise<string>((resolve, reject) => {
          const req = session.request({ ":path": path });
          let body = "";
          req.setEncoding("utf8");
          req.on("data", (c: string) => (body += c));
          req.on("end", () => resolve(body));
          req.on("error", reject);
        });
      expect(await Promise.all([get("/fast"), get("/slow"), get("/fast"), get("/other")])).toEqual(["fast", "compat", "fast", "compat"]);
      expect(requests).toEqual(["/slow", "/other"]);
    } finally {
      session.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("refuses a server without a 'request' listener (there is nothing to fall back to)", () => {
    expect(() => routeHttp2Streams(http2.createServer(), () => false)).toThrow(/no 'request' listener/);
  });
});
