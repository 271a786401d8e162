/**
 * `@hello/sdk`: the generated TypeScript of the hello.v1 API — message types and schemas,
 * service descriptors (with their embedded file descriptors, which reflection serves), and
 * nothing hand-written besides this index.
 *
 * @example
 * import { create } from "@bufbuild/protobuf";
 * import { HelloRequestSchema, HelloService } from "@hello/sdk";
 * const req = create(HelloRequestSchema, { greeting: "hi" });
 *
 * @packageDocumentation
 */
export * from "./gen/hello/v1/hello_pb.js";
