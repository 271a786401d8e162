/**
 * Health checking: `grpc.health.v1.Health` reports SERVING or NOT_SERVING for the server
 * as a whole ("") and for each service; Check answers once, Watch streams every change.
 * A generic connect client over `createHelloTransport` calls it with the hello client's
 * settings.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createHelloTransport } from "@hello/client";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "@hello/sdk";
import { startOrConnect } from "../shared/hello-server.js";

const server = await startOrConnect();
const { transport, close } = createHelloTransport({ baseUrl: server.url, protocol: "grpc" });
const health = createClient(Health, transport);
try {
  const results: string[] = [];
  for (const service of ["", "hello.v1.HelloService"]) {
    const { status } = await health.check({ service }, { timeoutMs: 5_000 });
    console.log(`check "${service}": ${ServingStatus[status]}`);
    results.push(ServingStatus[status]);
  }

  // A service the server does not know: NOT_FOUND, as the health protocol specifies.
  try {
    await health.check({ service: "no.such.Service" }, { timeoutMs: 5_000 });
  } catch (e) {
    const code = Code[ConnectError.from(e).code];
    console.log(`check "no.such.Service": ${code}`);
    results.push(code);
  }

  // Watch sends the current status at once, then every change. Leaving the loop would not
  // end the stream (connect streams end with their signal or deadline): abort it.
  const stopWatching = new AbortController();
  try {
    for await (const { status } of health.watch({ service: "" }, { signal: stopWatching.signal })) {
      console.log(`watch "": ${ServingStatus[status]}`);
      results.push(ServingStatus[status]);
      stopWatching.abort();
    }
  } catch (e) {
    if (ConnectError.from(e).code !== Code.Canceled) throw e;
  }
  console.log(`OK health: ${results.join(" ")}`);
} finally {
  close();
  await server.close();
}
