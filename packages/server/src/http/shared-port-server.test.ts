import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { createSharedPortServer } from "./shared-port-server.js";

// A real TCP server on 127.0.0.1:0 with tiny HTTP/1.1 and HTTP/2 servers behind it.
async function start(firstBytesTimeoutMs = 10_000) {
  const handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    res.end(`HTTP/${req.httpVersion}`);
  };
  const h1 = http.createServer(handler);
  const h2 = http2.createServer(handler);
  const server = createSharedPortServer({ http1: h1, http2: h2, firstBytesTimeoutMs });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  const sockets = new Set<net.Socket>();
  server.on("connection", (s: net.Socket) => sockets.add(s));
  return {
    port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function h2Get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const req = session.request({ ":path": "/" });
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      session.close();
      resolve(body);
    });
    req.end();
  });
}

function h1Get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve(body));
      })
      .on("error", reject);
  });
}

describe("createSharedPortServer()", () => {
  it("serves HTTP/1.1 and HTTP/2 with prior knowledge on the same port", async () => {
    const s = await start();
    try {
      expect(await h1Get(s.port)).toBe("HTTP/1.1");
      expect(await h2Get(s.port)).toBe("HTTP/2.0");
      expect(await h1Get(s.port)).toBe("HTTP/1.1");
    } finally {
      await s.close();
    }
  });

  it("tells the protocols apart even when the preface arrives a byte at a time", async () => {
    const s = await start();
    try {
      const socket = net.connect(s.port, "127.0.0.1");
      await new Promise((r) => socket.once("connect", r));
      const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
      for (const byte of preface) {
        socket.write(Buffer.from([byte]));
        await new Promise((r) => setTimeout(r, 2));
      }
      // An empty SETTINGS frame; the server must answer with its own SETTINGS (type 4).
      socket.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]));
      const reply: Buffer = await new Promise((r) => socket.once("data", r));
      expect(reply.readUInt8(3)).toBe(4);
      socket.destroy();
    } finally {
      await s.close();
    }
  });

  it("closes a connection that never sends its first bytes", async () => {
    const s = await start(200);
    try {
      const socket = net.connect(s.port, "127.0.0.1");
      const started = Date.now();
      await new Promise((r) => socket.once("close", r));
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await s.close();
    }
  });
});
