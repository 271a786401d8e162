/**
 * `@hello/client` for Node: a typed HelloService client over gRPC, gRPC-Web or Connect,
 * HTTP/1.1 or HTTP/2. Browsers get `./browser.ts` through the "browser" export condition.
 *
 * @packageDocumentation
 */
export { createHelloClient, type HelloClient, type NodeHelloClientOptions } from "./create-hello-client.js";
export { DEFAULT_TIMEOUT_MS, type HelloClientOptions, type HelloProtocol } from "./hello-client-options.js";
export { REQUEST_ID_HEADER } from "./create-client-interceptors.js";
