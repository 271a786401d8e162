#!/usr/bin/env node
// The client under test (testing_clients.md): reads ClientCompatRequests from stdin, makes
// each call with @hello/client, and writes a ClientCompatResponse per call to stdout, in the
// order calls finish. Exits once stdin ends and every call is done; SIGTERM exits at once.
//
// Usage: client-under-test [--parallel=N]
import { parseArgs } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type ClientCompatRequest,
  ClientCompatRequestSchema,
  type ClientCompatResponse,
  ClientCompatResponseSchema,
  ClientErrorResultSchema,
} from "./gen/connectrpc/conformance/v1/client_compat_pb.js";
import { invokeConformanceCall } from "./invoke-conformance-call.js";
import { readSizeDelimited, writeSizeDelimited } from "./size-delimited.js";

const { values: args } = parseArgs({
  options: { parallel: { type: "string", default: "8" } },
});
const parallel = Number(args.parallel);
if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`--parallel must be a positive integer, not ${args.parallel}`);

process.on("SIGTERM", () => process.exit(0));

// Calls run side by side (many cases only wait on delays and deadlines); each response is
// written whole in one write, so results never interleave on stdout.
const running = new Set<Promise<void>>();
for await (const message of readSizeDelimited(process.stdin)) {
  const request = fromBinary(ClientCompatRequestSchema, message);
  const call = respond(request).then((response) => {
    process.stdout.write(writeSizeDelimited(toBinary(ClientCompatResponseSchema, response)));
  });
  running.add(call);
  void call.finally(() => running.delete(call));
  if (running.size >= parallel) await Promise.race(running);
}
await Promise.all(running);

/** The call's result, or why it could not be made. */
async function respond(request: ClientCompatRequest): Promise<ClientCompatResponse> {
  try {
    return create(ClientCompatResponseSchema, {
      testName: request.testName,
      result: { case: "response", value: await invokeConformanceCall(request) },
    });
  } catch (error) {
    return create(ClientCompatResponseSchema, {
      testName: request.testName,
      result: {
        case: "error",
        value: create(ClientErrorResultSchema, { message: error instanceof Error ? error.message : String(error) }),
      },
    });
  }
}
