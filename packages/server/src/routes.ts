import type { ConnectRouter } from "@connectrpc/connect";
import { HelloService } from "@hello/sdk";
import type { Greeter } from "./hello/greeter.js";
import { createHelloService } from "./services/hello-service.js";

/** The dependencies of the application's services, injected once at start. */
export interface RoutesOptions {
  /** The greeting logic behind `hello.v1.HelloService`. */
  greeter: Greeter;
}

/**
 * The application's services, one registration line each: `createServer({ routes })`
 * serves them over gRPC, gRPC-Web and Connect with health, reflection, validation, metrics,
 * the call log and the fast path (README "Adding a service"). Each service is built here
 * once, from injected dependencies, and that one instance serves every protocol and path.
 *
 * @example
 * const server = createServer({ routes: createRoutes({ greeter: createGreeter() }) });
 */
export function createRoutes(options: RoutesOptions): (router: ConnectRouter) => void {
  const hello = createHelloService(options.greeter);
  return (router) => {
    router.service(HelloService, hello);
  };
}
