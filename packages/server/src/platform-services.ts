import type { DescService } from "@bufbuild/protobuf";
import { type ConnectRouter, createConnectRouter, type ServiceImpl } from "@connectrpc/connect";
import { Health, reflectionV1, reflectionV1alpha } from "@hello/sdk";
import type { HealthStatus } from "./health/health-status.js";
import { createReflectionIndex, type ReflectionIndex } from "./reflection/reflection-index.js";
import { createHealthService } from "./services/health-service.js";
import { createServerReflectionV1alphaService, createServerReflectionV1Service } from "./services/server-reflection-service.js";

/** Options of {@link withPlatformServices}. */
export interface PlatformServicesOptions {
  /**
   * The store `grpc.health.v1.Health` reports from. "" (the whole server) and every
   * registered service are set SERVING in it.
   */
  health: HealthStatus;
  /** Serve server reflection (`grpc.reflection.v1` and `v1alpha`). Default true. */
  reflection?: boolean;
}

/**
 * Extends an application's routes with what every server offers: gRPC health checking
 * (`grpc.health.v1.Health`, Check and Watch) and server reflection v1 and v1alpha, which
 * describes every registered service, itself included. A service the routes register
 * themselves (their own Health, say) is not registered again.
 *
 * @example
 * const routes = withPlatformServices((router) => router.service(TodoService, todos), { health });
 */
export function withPlatformServices(
  routes: (router: ConnectRouter) => void,
  options: PlatformServicesOptions,
): (router: ConnectRouter) => void {
  return (router) => {
    routes(router);
    const registered = new Set(servicesOf(router).map((service) => service.typeName));
    const add = <S extends DescService>(service: S, make: () => ServiceImpl<S>) => {
      if (!registered.has(service.typeName)) router.service(service, make());
    };
    add(Health, () => createHealthService(options.health));
    if (options.reflection !== false) {
      // Built on the first reflection call, when every service is registered.
      let index: ReflectionIndex | undefined;
      const reflectionIndex = () => (index ??= createReflectionIndex(servicesOf(router)));
      add(reflectionV1.ServerReflection, () => createServerReflectionV1Service(reflectionIndex));
      add(reflectionV1alpha.ServerReflection, () => createServerReflectionV1alphaService(reflectionIndex));
    }
    // The server as a whole ("") and every service take calls until health.shutdown().
    for (const name of ["", ...servicesOf(router).map((service) => service.typeName)]) {
      options.health.set(name, "SERVING");
    }
  };
}

/** The services registered on a router, each once, in the order they were registered. */
export function servicesOf(router: ConnectRouter): DescService[] {
  return [...new Set(router.handlers.map((handler) => handler.service))];
}

/** The services that a routes function registers, each once, in the order it registers them. */
export function registeredServices(routes: (router: ConnectRouter) => void): DescService[] {
  const router = createConnectRouter();
  routes(router);
  return servicesOf(router);
}
