import type { ConnectRouter } from "@connectrpc/connect";
import { HelloService } from "@hello/sdk";
import type { Greeter } from "./hello/greeter.js";
import { guardReservedMetadata } from "./services/guard-reserved-metadata.js";
import { createHelloService } from "./services/hello-service.js";

/** What the routes need to build their services. */
export interface RoutesOptions {
  greeter: Greeter;
}

/**
 * Registers every service of the server on a router. One handler set: connect serves each
 * over gRPC, gRPC-Web and Connect. Every service is guarded against setting reserved
 * `grpc-*` metadata.
 */
export function createRoutes(options: RoutesOptions): (router: ConnectRouter) => void {
  return (router) => {
    router.service(HelloService, guardReservedMetadata(HelloService, createHelloService(options.greeter)));
  };
}
