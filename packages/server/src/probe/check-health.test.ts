import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "@hello/sdk";
import { checkHealth } from "./check-health.js";
import { ProbeExitCode } from "./probe-exit-code.js";

// A stand-in Health service with fixed statuses: the probe is tested on its own, against
// real sockets, whatever the server's health service reports.
const statuses = new Map<string, HealthCheckResponse_ServingStatus>([
  ["", HealthCheckResponse_ServingStatus.SERVING],
  ["hello.v1.HelloService", HealthCheckResponse_ServingStatus.NOT_SERVING],
]);
const withHealth = (router: ConnectRouter) =>
  router.service(Health, {
    check(req) {
      const status = statuses.get(req.service);
      if (status === undefined) throw new ConnectError(`unknown service ${req.service}`, Code.NotFound);
      return { status };
    },
    // Not used by the probe.
    async *watch() {},
  });

const servers: net.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(server: net.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as net.AddressInfo).port;
}

/** A port nothing listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Accepts TCP connections and never says a word: neither HTTP/2 SETTINGS nor TLS. */
function blackHole(): net.Server {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
  });
  server.on("close", () => sockets.forEach((s) => s.destroy()));
  // close() waits for open connections: destroy them first.
  const close = server.close.bind(server);
  server.close = (cb) => {
    sockets.forEach((s) => s.destroy());
    return close(cb);
  };
  return server;
}

describe("checkHealth()", () => {
  let h2cUrl: string;
  beforeAll(async () => {
    h2cUrl = `http://127.0.0.1:${await listen(http2.createServer(connectNodeAdapter({ routes: withHealth })))}`;
  });

  it("exits 0 when the server is SERVING", async () => {
    expect(await checkHealth({ baseUrl: h2cUrl, service: "", timeoutMs: 2_000 })).toEqual({
      exitCode: ProbeExitCode.Serving,
      message: "status: SERVING",
    });
  });

  it("exits 4 when the service is NOT_SERVING", async () => {
    const result = await checkHealth({ baseUrl: h2cUrl, service: "hello.v1.HelloService", timeoutMs: 2_000 });
    expect(result.exitCode).toBe(ProbeExitCode.Unhealthy);
    expect(result.message).toContain("NOT_SERVING");
  });

  it("exits 3 when the server does not know the service", async () => {
    const result = await checkHealth({ baseUrl: h2cUrl, service: "no.such.Service", timeoutMs: 2_000 });
    expect(result.exitCode).toBe(ProbeExitCode.RpcFailure);
    expect(result.message).toContain("does not know this service");
  });

  it("exits 3 when the server has no health service", async () => {
    const port = await listen(http2.createServer(connectNodeAdapter({ routes: () => {} })));
    const result = await checkHealth({ baseUrl: `http://127.0.0.1:${port}`, service: "", timeoutMs: 2_000 });
    expect(result.exitCode).toBe(ProbeExitCode.RpcFailure);
    expect(result.message).toContain("does not implement the gRPC health protocol");
  });

  it("exits 2 when nothing listens", async () => {
    const result = await checkHealth({ baseUrl: `http://127.0.0.1:${await closedPort()}`, service: "", timeoutMs: 2_000 });
    expect(result.exitCode).toBe(ProbeExitCode.ConnectionFailure);
    expect(result.message).toContain("ECONNREFUSED");
  });

  it("exits 3 within its deadline when the server accepts but never answers", async () => {
    const port = await listen(blackHole());
    const started = Date.now();
    const result = await checkHealth({ baseUrl: `http://127.0.0.1:${port}`, service: "", timeoutMs: 300 });
    expect(result.exitCode).toBe(ProbeExitCode.RpcFailure);
    expect(result.message).toMatch(/^timeout: .* within 300ms$/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  describe("with TLS", () => {
    let dir: string;
    let httpsUrl: string;
    beforeAll(async () => {
      // A throwaway self-signed certificate for 127.0.0.1 (openssl ships with Debian and the Node images).
      dir = mkdtempSync(join(tmpdir(), "hello-probe-tls-"));
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:P-256",
          "-nodes",
          "-days",
          "1",
          "-subj",
          "/CN=localhost",
          "-addext",
          "subjectAltName=DNS:localhost,IP:127.0.0.1",
          "-keyout",
          join(dir, "key.pem"),
          "-out",
          join(dir, "cert.pem"),
        ],
        { stdio: "ignore", timeout: 10_000 },
      );
      const server = http2.createSecureServer(
        { cert: readFileSync(join(dir, "cert.pem")), key: readFileSync(join(dir, "key.pem")) },
        connectNodeAdapter({ routes: withHealth }),
      );
      httpsUrl = `https://127.0.0.1:${await listen(server)}`;
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("exits 0 when the certificate verifies against --tls-ca-cert", async () => {
      const result = await checkHealth({
        baseUrl: httpsUrl,
        service: "",
        timeoutMs: 2_000,
        tls: { noVerify: false, caCertFile: join(dir, "cert.pem") },
      });
      expect(result.exitCode).toBe(ProbeExitCode.Serving);
    });

    it("exits 2 when the certificate does not verify", async () => {
      const result = await checkHealth({ baseUrl: httpsUrl, service: "", timeoutMs: 2_000, tls: { noVerify: false } });
      expect(result.exitCode).toBe(ProbeExitCode.ConnectionFailure);
      expect(result.message).toContain("self-signed certificate");
    });

    it("exits 0 with --tls-no-verify", async () => {
      const result = await checkHealth({ baseUrl: httpsUrl, service: "", timeoutMs: 2_000, tls: { noVerify: true } });
      expect(result.exitCode).toBe(ProbeExitCode.Serving);
    });

    it("exits 1 when the CA file cannot be read", async () => {
      const result = await checkHealth({
        baseUrl: httpsUrl,
        service: "",
        timeoutMs: 2_000,
        tls: { noVerify: false, caCertFile: join(dir, "missing.pem") },
      });
      expect(result.exitCode).toBe(ProbeExitCode.InvalidArguments);
    });

    it("exits 2 within its deadline when the TLS handshake never completes", async () => {
      const port = await listen(blackHole());
      const result = await checkHealth({
        baseUrl: `https://127.0.0.1:${port}`,
        service: "",
        timeoutMs: 300,
        tls: { noVerify: true },
      });
      expect(result.exitCode).toBe(ProbeExitCode.ConnectionFailure);
      expect(result.message).toContain("could not connect");
    });
  });
});
