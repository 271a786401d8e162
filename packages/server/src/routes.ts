import type { DescService } from "@bufbuild/protobuf";
import { type ConnectRouter, createConnectRouter } from "@connectrpc/connect";
import { Health, HelloService, reflectionV1, reflectionV1alpha } from "@hello/sdk";
import { createHealthStatus, type HealthStatus } from "./health/health-status.js";
import type { Greeter } from "./hello/greeter.js";
import { createReflectionIndex, type ReflectionIndex } from "./reflection/reflection-index.js";
import { guardReservedMetadata } from "./services/guard-reserved-metadata.js";
import { createHealthService } from "./services/health-service.js";
import { createHelloService } from "./services/hello-service.js";
import {
  createServerReflectionV1alphaService,
  createServerReflectionV1Service,
} from "./services/server-reflection-service.js";

/** What the routes need to build their services. */
export interface RoutesOptions {
  greeter: Greeter;
  /**
   * The health status store that `grpc.health.v1.Health` reports from. `createRoutes` sets
   * "" (the whole server) and every service it registers SERVING in it. Default: a new store.
   */
  health?: HealthStatus;
}

/**
 * Registers every service of the server on a router. One handler set: connect serves each
 * over gRPC, gRPC-Web and Connect. Every service is guarded against setting reserved
 * `grpc-*` metadata.
 *
 * Besides hello.v1.HelloService: gRPC health checking (`grpc.health.v1.Health`) and server
 * reflection (`grpc.reflection.v1` and `v1alpha`), which describes every service registered
 * here, itself included.
 */
export function createRoutes(options: RoutesOptions): (router: ConnectRouter) => void {
  const health = options.health ?? createHealthStatus();
  const routes = (router: ConnectRouter) => {
    // Built on the first reflection call, when every service below is registered.
    let index: ReflectionIndex | undefined;
    const reflectionIndex = () => (index ??= createReflectionIndex(servicesOf(router)));

    router.service(HelloService, guardReservedMetadata(HelloService, createHelloService(options.greeter)));
    router.service(Health, guardReservedMetadata(Health, createHealthService(health)));
    router.service(
      reflectionV1.ServerReflection,
      guardReservedMetadata(reflectionV1.ServerReflection, createServerReflectionV1Service(reflectionIndex)),
    );
    router.service(
      reflectionV1alpha.ServerReflection,
      guardReservedMetadata(
        reflectionV1alpha.ServerReflection,
        createServerReflectionV1alphaService(reflectionIndex),
      ),
    );
  };
  // The server as a whole ("") and every service here take calls until health.shutdown().
  for (const name of ["", ...registeredServices(routes).map((service) => service.typeName)]) {
    health.set(name, "SERVING");
  }
  return routes;
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
