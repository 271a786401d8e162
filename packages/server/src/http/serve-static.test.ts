import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStaticFileHandler, isRpcPath } from "./serve-static.js";
import type { NodeRequest, NodeResponse } from "./write-rpc-error.js";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends one request with the path exactly as given (no normalisation by the client). */
type Fetch = (method: string, path: string, headers?: Record<string, string>) => Promise<Answer>;

const root = mkdtempSync(join(tmpdir(), "serve-static-"));
const dir = join(root, "dist");
mkdirSync(join(dir, "assets"), { recursive: true });
writeFileSync(join(dir, "index.html"), "<!doctype html><title>playground</title>");
writeFileSync(join(dir, "about.html"), "about");
writeFileSync(join(dir, "assets", "app-1234.js"), "console.log(1)");
writeFileSync(join(dir, ".env"), "SECRET=1");
writeFileSync(join(root, "secret.txt"), "outside the static dir");

/** The handler under test, in front of a fallback that stands for the RPC handler. */
function handlerWithFallback() {
  const staticFiles = createStaticFileHandler(dir);
  return (req: NodeRequest, res: NodeResponse) => {
    if (staticFiles(req, res)) return;
    res.writeHead(418, { "content-type": "text/plain" });
    res.end("fallthrough");
  };
}

const servers: { close(): void }[] = [];
afterAll(() => {
  for (const s of servers) s.close();
  rmSync(root, { recursive: true, force: true });
});

async function http1Fetch(): Promise<Fetch> {
  const server = http.createServer(handlerWithFallback());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push({ close: () => server.close() });
  const { port } = server.address() as AddressInfo;
  return (method, path, headers = {}) =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on("error", reject);
      req.end();
    });
}

async function http2Fetch(): Promise<Fetch> {
  const server = http2.createServer({}, handlerWithFallback());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const session = http2.connect(`http://127.0.0.1:${port}`);
  servers.push({
    close: () => {
      session.close();
      server.close();
    },
  });
  return (method, path, headers = {}) =>
    new Promise((resolve, reject) => {
      const stream = session.request({ ":method": method, ":path": path, ...headers });
      let status = 0;
      let responseHeaders: Answer["headers"] = {};
      let body = "";
      stream.setEncoding("utf8");
      stream.on("response", (h) => {
        status = Number(h[":status"]);
        responseHeaders = h;
      });
      stream.on("data", (c: string) => (body += c));
      stream.on("end", () => resolve({ status, headers: responseHeaders, body }));
      stream.on("error", reject);
      stream.end();
    });
}

describe("isRpcPath()", () => {
  it("matches /<package>.<Service>/<Method> and nothing else", () => {
    expect(isRpcPath("/hello.v1.HelloService/SayHello")).toBe(true);
    expect(isRpcPath("/grpc.health.v1.Health/Check")).toBe(true);
    expect(isRpcPath("/")).toBe(false);
    expect(isRpcPath("/index.html")).toBe(false);
    expect(isRpcPath("/assets/app-1234.js")).toBe(false);
    expect(isRpcPath("/hello.v1.HelloService/SayHello/extra")).toBe(false);
  });
});

describe.each([
  ["HTTP/1.1", http1Fetch],
  ["HTTP/2", http2Fetch],
])("createStaticFileHandler() over %s", (_name, makeFetch) => {
  let fetch: Fetch;
  beforeAll(async () => {
    fetch = await makeFetch();
  });

  it("serves index.html on / and files by name, with caching headers", async () => {
    const index = await fetch("GET", "/");
    expect(index.status).toBe(200);
    expect(index.body).toContain("<title>playground</title>");
    expect(index.headers["content-type"]).toBe("text/html;charset=utf-8");
    expect(index.headers["cache-control"]).toBe("no-cache");
    expect(index.headers["x-content-type-options"]).toBe("nosniff");

    const asset = await fetch("GET", "/assets/app-1234.js?v=1");
    expect(asset.status).toBe(200);
    expect(asset.body).toBe("console.log(1)");
    expect(asset.headers["content-type"]).toBe("text/javascript");
    expect(asset.headers["cache-control"]).toBe("public, max-age=31536000, immutable");

    expect((await fetch("GET", "/about")).body).toBe("about");
  });

  it("answers HEAD without a body and a matching ETag with 304", async () => {
    const head = await fetch("HEAD", "/assets/app-1234.js");
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
    expect(head.headers["content-length"]).toBe(String("console.log(1)".length));
    const etag = String(head.headers.etag);
    expect((await fetch("GET", "/assets/app-1234.js", { "if-none-match": etag })).status).toBe(304);
  });

  it("leaves RPC paths, other methods and unknown files to the next handler", async () => {
    expect((await fetch("GET", "/hello.v1.HelloService/SayHello?connect=v1")).body).toBe("fallthrough");
    expect((await fetch("POST", "/index.html")).body).toBe("fallthrough");
    expect((await fetch("OPTIONS", "/")).body).toBe("fallthrough");
    expect((await fetch("GET", "/missing.js")).body).toBe("fallthrough");
  });

  it("never serves dotfiles or anything outside the directory", async () => {
    for (const path of [
      "/.env",
      "/../secret.txt",
      "/%2e%2e/secret.txt",
      "/assets/..%2f..%2fsecret.txt",
      "/assets/%2e%2e/%2e%2e/secret.txt",
      "//../secret.txt",
      "/..%5csecret.txt",
    ]) {
      const answer = await fetch("GET", path);
      expect({ path, body: answer.body }).toEqual({ path, body: "fallthrough" });
    }
  });
});

it("refuses a directory that does not exist", () => {
  expect(() => createStaticFileHandler(join(root, "nope"))).toThrow(/does not exist or is not a directory/);
});
