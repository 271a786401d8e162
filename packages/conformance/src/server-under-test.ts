#!/usr/bin/env node
// The server under test (testing_servers.md): reads one ServerCompatRequest from stdin,
// starts the project's server with ConformanceService as its routes, writes a
// ServerCompatResponse with its address to stdout, and runs until SIGTERM.
//
// Usage: server-under-test [--fast-path=on|off]
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
if (request.useTls && request.serverCreds === undefined) throw new Error("use_tls without server_creds");

// The runner's certificate and key; with client_tls_cert, the certificate its clients
// present, which the server then requires and verifies (it is self-signed: its own CA).
const tls: ServerOptions["tls"] =
  request.useTls && request.serverCreds !== undefined
    ? {
        cert: Buffer.from(request.serverCreds.cert),
        key: Buffer.from(request.serverCreds.key),
        ...(request.clientTlsCert.byteLength > 0 ? { clientCa: Buffer.from(request.clientTlsCert) } : {}),
      }
    : undefined;

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
process.on("SIGTERM", () => process.exit(0));

/** The one ServerCompatRequest the runner writes to stdin. */
async function readRequest(): Promise<ServerCompatRequest> {
  for await (const message of readSizeDelimited(process.stdin)) {
    return fromBinary(ServerCompatRequestSchema, message);
  }
  throw new Error("stdin ended before a ServerCompatRequest");
}
