/**
 * Errors: every failure is a `ConnectError` with a status `Code`; invalid requests come
 * back as INVALID_ARGUMENT with a typed `buf.validate.Violations` detail, which
 * `fieldViolationsOf` reads. Every error also carries the call's request id.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { createHelloClient, fieldViolationsOf, requestIdOf } from "@hello/client";
import { startOrConnect } from "../shared/hello-server.js";

const server = await startOrConnect();
const client = createHelloClient({ baseUrl: server.url, protocol: "grpc" });
try {
  const found: string[] = [];
  const badRequests = [
    { greeting: "" }, // greeting must have 1–1,000 characters
    { greeting: "hi", replyCount: 5_000 }, // reply_count must be ≤ 1,000
  ];
  for (const request of badRequests) {
    try {
      await client.sayHello(request, { timeoutMs: 5_000 });
      console.log("unexpected: the call succeeded");
    } catch (e) {
      const error = ConnectError.from(e);
      console.log(`${Code[error.code]}: ${error.rawMessage}`);
      console.log(`  x-request-id: ${requestIdOf(error)}`);
      for (const violation of fieldViolationsOf(error)) {
        console.log(`  field ${violation.field}: ${violation.rule} (${violation.message})`);
        found.push(`${Code[error.code]} ${violation.field} ${violation.rule}`);
      }
    }
  }
  console.log(`OK errors: ${found.join("; ")}`);
} finally {
  client.close();
  await server.close();
}
