#!/usr/bin/env node
// The server under test (testing_servers.md): reads one ServerCompatRequest from stdin,
// starts the project's server with ConformanceService as its routes, writes a
// ServerCompatResponse with its address to stdout, and runs until SIGTERM.
//
// Usage: server-under-test [--fast-path=on|off]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { create, createRegistry, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createServer, type ServerOptions } from "@hello/server";
import { pino } from "pino";
import { createConformanceService } from "./conformance-service.js";
import { HTTPVersion } from "./gen/connectrpc/conformance/v1/config_pb.js";
import {
  type ServerCompatRequest,
  ServerCompatRequestSchema,
  ServerCompatResponseSchema,
} from "./gen/connectrpc/conformance/v1/server_compat_pb.js";
import { ConformanceService, file_connectrpc_conformance_v1_service } from "./gen/connectrpc/conformance/v1/service_pb.js";
import { readSizeDelimited, writeSizeDelimited } from "./size-delimited.js";

const { values: args } = parseArgs({ options: { "fast-path": { type: "string", default: "on" } } });
if (args["fast-path"] !== "on" && args["fast-path"] !== "off") {
  throw new Error(`--fast-path must be "on" or "off", not "${args["fast-path"]}"`);
}

const request = await readRequest();
if (request.httpVersion === HTTPVersion.HTTP_VERSION_3) {
  throw new Error("HTTP/3 is not supported: the config must not claim it");
}
if (request.clientTlsCert.byteLength > 0) {
  // createServer takes no client CA: the config leaves supportsTlsClientCerts off.
  throw new Error("TLS client certificates are not supported: the config must not claim them");
}

// createServer reads its certificate and key from files: the runner's go to a private
// temporary folder, removed on exit.
let tlsDir: string | undefined;
let tls: ServerOptions["tls"];
if (request.useTls) {
  if (request.serverCreds === undefined) throw new Error("use_tls without server_creds");
  tlsDir = mkdtempSync(join(tmpdir(), "hello-conformance-tls-"));
  tls = { certFile: join(tlsDir, "cert.pem"), keyFile: join(tlsDir, "key.pem") };
  writeFileSync(tls.certFile, request.serverCreds.cert, { mode: 0o600 });
  writeFileSync(tls.keyFile, request.serverCreds.key, { mode: 0o600 });
}

const server = createServer({
  routes: (router) => router.service(ConformanceService, createConformanceService()),
  host: "127.0.0.1",
  port: 0,
  ...(tls ? { tls } : {}),
  ...(request.messageReceiveLimit > 0 ? { readMaxBytes: request.messageReceiveLimit } : {}),
  fastPath: args["fast-path"] === "on",
  // Responses carry the request in google.protobuf.Any (RequestInfo.requests): JSON needs its types.
  jsonOptions: { registry: createRegistry(file_connectrpc_conformance_v1_service) },
  // The call log runs as shipped, but its lines would drown the runner's report: they go
  // nowhere. Unexpected handler errors still reach stderr, which the runner shows.
  logger: pino({ level: "info" }, pino.destination({ dest: "/dev/null", sync: true })),
  onUnexpectedError: (error, procedure) => console.error(`unexpected error in ${procedure}:`, error),
});
const port = await server.listen();
process.stdout.write(
  writeSizeDelimited(
    toBinary(
      ServerCompatResponseSchema,
      create(ServerCompatResponseSchema, {
        host: "127.0.0.1",
        port,
        ...(request.useTls && request.serverCreds ? { pemCert: request.serverCreds.cert } : {}),
      }),
    ),
  ),
);

// The runner sends SIGTERM once it is done with this server: nothing is left to drain.
process.on("SIGTERM", () => {
  if (tlsDir !== undefined) rmSync(tlsDir, { recursive: true, force: true });
  process.exit(0);
});

/** The one ServerCompatRequest the runner writes to stdin. */
async function readRequest(): Promise<ServerCompatRequest> {
  for await (const message of readSizeDelimited(process.stdin)) {
    return fromBinary(ServerCompatRequestSchema, message);
  }
  throw new Error("stdin ended before a ServerCompatRequest");
}
