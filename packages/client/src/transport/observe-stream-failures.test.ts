/**
 * observeStreamFailures through createClient against a real connect server (HTTP/2 cleartext,
 * port 0) whose bidi handler never answers: a call that fails on its deadline while the
 * caller writes and has not read yet, must not be an unhandled rejection (Node ends the
 * process on one), and the caller's first read still gets the error.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { HelloService } from "@hello/sdk";
import { createClient } from "../create-client.js";
import { startTestServices, type TestServices } from "../test-support/start-test-services.js";

let services: TestServices;

beforeAll(async () => {
  services = await startTestServices((router) =>
    router.service(HelloService, {
      // Reads the requests and never answers: the call ends on the client's deadline.
      // biome-ignore lint/correctness/useYield: a stream that never answers is the point.
      async *bidiHello(requests) {
        for await (const _ of requests) {
          // keep reading
        }
      },
    }),
  );
});

afterAll(() => services.close());

it.each(["connect", "grpc", "grpc-web"] as const)(
  "a %s bidi call that passes its deadline before the first read rejects that read, unhandled nowhere",
  async (protocol) => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    const client = createClient(HelloService, { baseUrl: services.http2Url, protocol, httpVersion: "2", openTelemetry: false });
    const requests = createWritableIterable<MessageInitShape<typeof HelloService.method.bidiHello.input>>();
    try {
      const responses = client.bidiHello(requests, { timeoutMs: 50 })[Symbol.asyncIterator]();
      // A write resolves only once the transport takes the message, which a busy machine
      // may not do before the deadline: the test waits on the call, not on the write.
      const written = requests.write({ greeting: "first" }).catch(() => undefined);
      // The deadline passes while the caller is not reading; unhandled rejections are
      // reported after the microtask queue drains, well within this wait.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(unhandled).toEqual([]);
      const error = await responses.next().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(ConnectError.from(error).code).toBe(Code.DeadlineExceeded);
      await written;
    } finally {
      requests.close();
      client.close();
      process.off("unhandledRejection", onUnhandled);
    }
  },
);
