/**
 * `@hello/client` for browsers: the same API as in Node over the browser's fetch, with
 * gRPC-Web or Connect (browsers cannot speak gRPC's HTTP/2 trailers, nor stream requests).
 *
 * @packageDocumentation
 */
export { createHelloClient, type HelloClient } from "./create-browser-hello-client.js";
export { DEFAULT_TIMEOUT_MS, type HelloClientOptions, type HelloProtocol } from "./hello-client-options.js";
export { REQUEST_ID_HEADER } from "./create-client-interceptors.js";
