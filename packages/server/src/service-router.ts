import type { DescService } from "@bufbuild/protobuf";
import { type ConnectRouter, type ConnectRouterOptions, createConnectRouter } from "@connectrpc/connect";
import { type FastPathMethodSpec, recordFastPathMethods } from "./fast-path/capture-fast-path-methods.js";
import { type PlatformServicesOptions, servicesOf, withPlatformServices } from "./platform-services.js";
import { guardRouter } from "./services/guard-reserved-metadata.js";

/** Options of {@link createServiceRouter}: connect's router options, the routes, and the platform services'. */
export interface ServiceRouterOptions extends ConnectRouterOptions, PlatformServicesOptions {
  /** Registers the application's services: the function connect-node's `connectNodeAdapter` takes. */
  routes: (router: ConnectRouter) => void;
}

/** Everything a server derives from its routes, from one run of them. */
export interface ServiceRouter {
  /** connect's router with every handler: the application's services, health and reflection. */
  readonly router: ConnectRouter;
  /** The unary and server-streaming methods the fast path may answer, by request path. */
  readonly fastPathMethods: ReadonlyMap<string, FastPathMethodSpec>;
  /** Every registered service, once each, in registration order. */
  readonly services: readonly DescService[];
  /** Request paths of the bidirectional methods, which HTTP/1.1 cannot carry. */
  readonly bidiPaths: ReadonlySet<string>;
}

/**
 * Runs the routes exactly once, on one connect router, and derives from that run what every
 * part of the server needs: connect's handlers, the fast path's methods, the service list
 * (health, reflection, metrics) and the bidi paths. So each `ServiceImpl` the routes register
 * is one instance behind every protocol, HTTP version and path. Every implementation is
 * guarded against setting reserved `grpc-*` metadata.
 *
 * @example
 * const { router, fastPathMethods } = createServiceRouter({ routes, health, interceptors });
 */
export function createServiceRouter(options: ServiceRouterOptions): ServiceRouter {
  const { routes, health, reflection, ...routerOptions } = options;
  const router = createConnectRouter(routerOptions);
  const recording = recordFastPathMethods(router);
  withPlatformServices(routes, { health, ...(reflection !== undefined ? { reflection } : {}) })(guardRouter(recording.router));
  return {
    router,
    fastPathMethods: recording.methods,
    services: servicesOf(router),
    bidiPaths: new Set(router.handlers.filter((h) => h.method.methodKind === "bidi_streaming").map((h) => h.requestPath)),
  };
}
