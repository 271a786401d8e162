/**
 * TLS: the same port negotiates h2 or http/1.1 by ALPN, and every protocol works over it.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { HelloService } from "@hello/sdk";
import { createHelloServer, type HelloServer } from "./server.js";

let dir: string;
let server: HelloServer;
let ca: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hello-tls-"));
  // A self-signed certificate for 127.0.0.1, made fresh for this run.
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  ca = readFileSync(join(dir, "cert.pem"));
  server = createHelloServer({
    port: 0,
    host: "127.0.0.1",
    tls: { certFile: join(dir, "cert.pem"), keyFile: join(dir, "key.pem") },
  });
  await server.listen();
});
afterAll(async () => {
  await server.close(500);
  rmSync(dir, { recursive: true, force: true });
});

function alpn(protocols: string[]): Promise<string | false> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port: server.port, ca, ALPNProtocols: protocols }, () => {
      resolve(socket.alpnProtocol ?? false);
      socket.end();
    });
    socket.on("error", reject);
  });
}

it("serves https and negotiates h2 or http/1.1 by ALPN", async () => {
  expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  expect(await alpn(["h2", "http/1.1"])).toBe("h2");
  expect(await alpn(["http/1.1"])).toBe("http/1.1");
});

it.each([
  ["gRPC over h2", () => createGrpcTransport({ baseUrl: server.url, nodeOptions: { ca } })],
  ["gRPC-Web over http/1.1", () => createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1", nodeOptions: { ca } })],
  ["Connect over h2", () => createConnectTransport({ baseUrl: server.url, httpVersion: "2", nodeOptions: { ca } })],
  ["Connect over http/1.1", () => createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", nodeOptions: { ca } })],
])("answers %s", async (_name, transport) => {
  const client = createClient(HelloService, transport());
  expect((await client.sayHello({ greeting: "tls" })).reply).toBe("Hello, tls!");
});
