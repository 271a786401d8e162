/**
 * Mutual TLS (`tls.clientCa`): a client with a certificate from the client CA is served on
 * every protocol and HTTP version; a client without one, or with one from another CA, fails
 * its handshake and never reaches a handler.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { HelloService } from "@hello/sdk";
import { readEnv } from "./env.js";
import { createHelloServer, type HelloServer } from "./server.js";
import { serverOptionsFromEnv } from "./server-options-from-env.js";

interface KeyPair {
  cert: Buffer;
  key: Buffer;
}

let dir: string;
let server: HelloServer;
/** Signs the server's certificate and the accepted client's. */
let ca: KeyPair;
let client: KeyPair;
/** A client certificate from a CA the server does not trust. */
let stranger: KeyPair;
const handled: string[] = [];

/** A fresh P-256 key and certificate: self-signed CA, or issued by `issuer` for `san`. */
function issue(name: string, issuer?: { name: string }, san?: string): KeyPair {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const subject = ["-subj", `/CN=${name}`];
  if (issuer === undefined) {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        ...subject,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
        "-keyout",
        key,
        "-out",
        cert,
      ],
      { stdio: "ignore" },
    );
  } else {
    const csr = join(dir, `${name}.csr`);
    const ext = join(dir, `${name}.ext`);
    execFileSync(
      "openssl",
      ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", ...subject, "-keyout", key, "-out", csr],
      { stdio: "ignore" },
    );
    execFileSync("sh", ["-c", `printf '%s\\n' "$1" > "$2"`, "sh", san ? `subjectAltName=${san}` : "extendedKeyUsage=clientAuth", ext]);
    execFileSync(
      "openssl",
      [
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        join(dir, `${issuer.name}.crt`),
        "-CAkey",
        join(dir, `${issuer.name}.key`),
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        ext,
        "-out",
        cert,
      ],
      { stdio: "ignore" },
    );
  }
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hello-mtls-"));
  ca = issue("ca");
  const serverPair = issue("server", { name: "ca" }, "IP:127.0.0.1");
  client = issue("client", { name: "ca" });
  issue("other-ca");
  stranger = issue("stranger", { name: "other-ca" });
  // Everything in memory from here: the files only served openssl.
  server = createHelloServer({
    port: 0,
    host: "127.0.0.1",
    tls: { cert: serverPair.cert, key: serverPair.key, clientCa: ca.cert },
    greeter: { observer: { replied: (method) => handled.push(method) } },
  });
  await server.listen();
});
afterAll(async () => {
  await server.close(500);
  rmSync(dir, { recursive: true, force: true });
});

const transports: [string, (credentials: Partial<KeyPair>) => Transport][] = [
  ["gRPC over h2", (c) => createGrpcTransport({ baseUrl: server.url, nodeOptions: { ca: ca.cert, ...c } })],
  [
    "gRPC-Web over http/1.1",
    (c) => createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1", nodeOptions: { ca: ca.cert, ...c } }),
  ],
  ["Connect over h2", (c) => createConnectTransport({ baseUrl: server.url, httpVersion: "2", nodeOptions: { ca: ca.cert, ...c } })],
  ["Connect over http/1.1", (c) => createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", nodeOptions: { ca: ca.cert, ...c } })],
];

it.each(transports)("answers %s from a client with a certificate from the client CA", async (_name, transport) => {
  const before = handled.length;
  const hello = createClient(HelloService, transport({ cert: client.cert, key: client.key }));
  expect((await hello.sayHello({ greeting: "mtls" })).reply).toBe("Hello, mtls!");
  // The handler count the refused clients are checked against does move for a served call.
  expect(handled.length).toBeGreaterThan(before);
});

/**
 * What a raw TLS connection offering h2 gets first: "data" (the server's SETTINGS frame: it
 * serves this connection), or the error or close that ends it.
 */
function firstEvent(credentials: Partial<KeyPair>, port = server.port): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ca: ca.cert, ALPNProtocols: ["h2"], ...credentials });
    // TLS 1.3 reports the server's verdict on the client certificate after the client's
    // side of the handshake: it arrives on the first read.
    socket.on("data", () => {
      resolve("data");
      socket.destroy();
    });
    socket.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    socket.on("close", () => resolve("closed"));
  });
}

it("serves a raw connection with a certificate from the client CA", async () => {
  expect(await firstEvent({ cert: client.cert, key: client.key })).toBe("data");
});

describe.each([
  // OpenSSL itself requires the certificate: the handshake ends with its alert.
  ["without a certificate", () => ({}), /^ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED$/],
  // Node verifies the chain after the handshake and destroys the socket before serving it.
  ["with a certificate from another CA", () => ({ cert: stranger.cert, key: stranger.key }), /^(closed|ECONNRESET)$/],
] as const)("a client %s", (_name, credentials, ending) => {
  it.each(transports)("fails %s before any handler runs", async (_transport, transport) => {
    const before = handled.length;
    const hello = createClient(HelloService, transport(credentials()));
    await expect(hello.sayHello({ greeting: "mtls" })).rejects.toBeInstanceOf(ConnectError);
    expect(handled.length).toBe(before);
  });

  it("is not served on a raw connection", async () => {
    expect(await firstEvent(credentials())).toMatch(ending);
  });
});

it("asks for no client certificate without clientCa", async () => {
  const plain = createHelloServer({
    port: 0,
    host: "127.0.0.1",
    tls: { cert: readFileSync(join(dir, "server.crt")), key: readFileSync(join(dir, "server.key")) },
  });
  await plain.listen();
  try {
    const hello = createClient(HelloService, createGrpcTransport({ baseUrl: plain.url, nodeOptions: { ca: ca.cert } }));
    expect((await hello.sayHello({ greeting: "tls" })).reply).toBe("Hello, tls!");
  } finally {
    await plain.close(500);
  }
});

it("requires client certificates from TLS_CLIENT_CA_FILE, as main.ts configures the server", async () => {
  const fromEnv = createHelloServer(
    serverOptionsFromEnv(
      readEnv({
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        TLS_CERT_FILE: join(dir, "server.crt"),
        TLS_KEY_FILE: join(dir, "server.key"),
        TLS_CLIENT_CA_FILE: join(dir, "ca.crt"),
      }),
    ),
  );
  await fromEnv.listen();
  try {
    expect(await firstEvent({ cert: client.cert, key: client.key }, fromEnv.port)).toBe("data");
    expect(await firstEvent({}, fromEnv.port)).toMatch(/^ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED$/);
    expect(await firstEvent({ cert: stranger.cert, key: stranger.key }, fromEnv.port)).toMatch(/^(closed|ECONNRESET)$/);
  } finally {
    await fromEnv.close(500);
  }
});

it("refuses tls without a certificate or key", () => {
  expect(() => createHelloServer({ port: 0, tls: { clientCa: ca.cert } })).toThrow(/certificate and a key/);
});
