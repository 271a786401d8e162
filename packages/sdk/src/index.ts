/**
 * `@hello/sdk`: the generated TypeScript of the hello.v1 API — message types and schemas,
 * service descriptors (with their embedded file descriptors, which reflection serves), and
 * nothing hand-written besides this index.
 *
 * Every proto package is a namespace named after its directory (`hello_v1`,
 * `grpc_health_v1`, `grpc_reflection_v1`, `grpc_reflection_v1alpha`) and a subpath of its
 * own (`@hello/sdk/hello/v1`). Both come from index files that `buf generate` writes
 * (scripts/protoc-gen-sdk-index.mjs), so a new proto package needs no edit here.
 *
 * The names this index exported before the namespaces stay: hello.v1 and `grpc.health.v1`
 * flat, server reflection in both versions as `reflectionV1` and `reflectionV1alpha` (their
 * message and service names are the same).
 *
 * @example
 * import { create } from "@bufbuild/protobuf";
 * import { HelloRequestSchema, HelloService, grpc_reflection_v1 } from "@hello/sdk";
 * import { HealthCheckRequestSchema } from "@hello/sdk/grpc/health/v1";
 * const req = create(HelloRequestSchema, { greeting: "hi" });
 * const check = create(HealthCheckRequestSchema, { service: HelloService.typeName });
 * const listServices = create(grpc_reflection_v1.ServerReflectionRequestSchema, {
 *   messageRequest: { case: "listServices", value: "" },
 * });
 *
 * @packageDocumentation
 */
export * from "./gen/index.js";
export * from "./gen/hello/v1/index.js";
export * from "./gen/grpc/health/v1/index.js";
export * as reflectionV1 from "./gen/grpc/reflection/v1/index.js";
export * as reflectionV1alpha from "./gen/grpc/reflection/v1alpha/index.js";
