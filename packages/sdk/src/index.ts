/**
 * `@hello/sdk`: the generated TypeScript of the hello.v1 API — message types and schemas,
 * service descriptors (with their embedded file descriptors, which reflection serves), and
 * nothing hand-written besides this index.
 *
 * Besides hello.v1, it carries gRPC's standard services that the server implements:
 * `grpc.health.v1` (exported as is) and server reflection in both versions, as the
 * namespaces `reflectionV1` and `reflectionV1alpha` (their message and service names are
 * the same).
 *
 * @example
 * import { create } from "@bufbuild/protobuf";
 * import { HelloRequestSchema, HelloService, reflectionV1 } from "@hello/sdk";
 * const req = create(HelloRequestSchema, { greeting: "hi" });
 * const listServices = create(reflectionV1.ServerReflectionRequestSchema, {
 *   messageRequest: { case: "listServices", value: "" },
 * });
 *
 * @packageDocumentation
 */
export * from "./gen/hello/v1/hello_pb.js";
export * from "./gen/grpc/health/v1/health_pb.js";
export * as reflectionV1 from "./gen/grpc/reflection/v1/reflection_pb.js";
export * as reflectionV1alpha from "./gen/grpc/reflection/v1alpha/reflection_pb.js";
