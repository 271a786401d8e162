/**
 * Interop: a C-core gRPC client (Debian's python3-grpcio, the same core as grpc C++,
 * Python, Ruby and PHP) against the real server on a real port.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { HelloServer } from "../server.js";
import { startTestServer } from "../test-support/start-test-server.js";

const PYTHON = "/usr/bin/python3";
let server: HelloServer;

beforeAll(async () => {
  if (!existsSync(PYTHON)) throw new Error("needs Debian's python3 with python3-grpcio (apt-get install python3-grpcio)");
  ({ server } = await startTestServer());
});
afterAll(() => server.close(1_000));

type Result = {
  check: string;
  ok: boolean;
  code?: string;
  details?: string;
  reply?: string;
  replies?: string[];
  requestId?: string;
  echoBin?: number[];
};

it("gets the HelloService semantics through grpc C-core", async () => {
  const { stdout } = await promisify(execFile)(PYTHON, [join(__dirname, "c-core-client.py"), `127.0.0.1:${server.port}`], {
    timeout: 30_000,
  });
  const results = Object.fromEntries((JSON.parse(stdout) as Result[]).map((r) => [r.check, r]));
  expect(results.SayHello).toEqual({ check: "SayHello", ok: true, reply: "Hello, c-core!", requestId: "c-core-1", echoBin: [0, 1, 255] });
  expect(results.LotsOfReplies?.replies).toEqual([
    "Hello, stream! (reply 1 of 3)",
    "Hello, stream! (reply 2 of 3)",
    "Hello, stream! (reply 3 of 3)",
  ]);
  expect(results.LotsOfGreetings?.reply).toBe("Hello, a, b!");
  expect(results.BidiHello?.replies).toEqual(["Hello, x!", "Hello, y!"]);
  expect(results.Deadline).toMatchObject({ ok: false, code: "DEADLINE_EXCEEDED" });
  expect(results.Invalid).toMatchObject({ ok: false, code: "INVALID_ARGUMENT" });
  expect(results.Invalid?.details).toMatch(/greeting/);
  expect(results.Unknown).toMatchObject({ ok: false, code: "UNIMPLEMENTED" });
  expect(results.Gzip).toMatchObject({ ok: true, reply: "Hello, zipped!" });
});
