import type { ServiceImpl } from "@connectrpc/connect";
import type { reflectionV1, reflectionV1alpha } from "@hello/sdk";
import type { ReflectionIndex } from "../reflection/reflection-index.js";
import { createReflectionSession, type ReflectionRequest } from "../reflection/reflection-session.js";

/**
 * `grpc.reflection.v1.ServerReflection`: answers `ServerReflectionInfo` requests from the
 * index (https://github.com/grpc/grpc/blob/master/doc/server-reflection.md). Every request
 * gets exactly one response, in order; a name or file that is not found is answered with an
 * `error_response` (NOT_FOUND) and the stream stays open.
 *
 * `index` is read when a stream starts, so it may be built lazily, once the router knows
 * every service.
 */
export function createServerReflectionV1Service(index: () => ReflectionIndex): ServiceImpl<typeof reflectionV1.ServerReflection> {
  return { serverReflectionInfo: (requests) => answerEach(requests, index()) };
}

/**
 * `grpc.reflection.v1alpha.ServerReflection`: the same as
 * {@link createServerReflectionV1Service} for clients that only know the older version
 * (whose messages are identical to v1's, in another package).
 */
export function createServerReflectionV1alphaService(index: () => ReflectionIndex): ServiceImpl<typeof reflectionV1alpha.ServerReflection> {
  return { serverReflectionInfo: (requests) => answerEach(requests, index()) };
}

async function* answerEach<R extends { host: string; messageRequest: ReflectionRequest }>(
  requests: AsyncIterable<R>,
  index: ReflectionIndex,
) {
  const session = createReflectionSession(index);
  for await (const request of requests) {
    yield {
      validHost: request.host,
      originalRequest: request,
      messageResponse: session.answer(request.messageRequest),
    };
  }
}
