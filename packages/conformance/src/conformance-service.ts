import { create } from "@bufbuild/protobuf";
import { type Any, anyPack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { connectErrorFromProto } from "./conformance-error.js";
import { appendProtoHeaders, toProtoHeaders } from "./conformance-metadata.js";
import {
  BidiStreamRequestSchema,
  ClientStreamRequestSchema,
  type ConformancePayload,
  type ConformancePayload_RequestInfo,
  ConformancePayload_ConnectGetInfoSchema,
  ConformancePayload_RequestInfoSchema,
  ConformancePayloadSchema,
  type ConformanceService,
  type Error as ConformanceError,
  HeaderSchema,
  IdempotentUnaryRequestSchema,
  ServerStreamRequestSchema,
  type StreamResponseDefinition,
  type UnaryResponseDefinition,
  UnaryRequestSchema,
} from "./gen/connectrpc/conformance/v1/service_pb.js";

/**
 * Creates `connectrpc.conformance.v1.ConformanceService` as the conformance suite's
 * testing_servers.md describes it: each method answers as its request's response definition
 * says (headers, trailers, data, delay, error) and echoes what it observed (request headers,
 * timeout, every request, the query of a Connect GET) in the payload, or in the error's
 * details when no payload goes out. `Unimplemented` is left out, so the router answers it
 * with UNIMPLEMENTED as it would any method without a handler.
 *
 * @example
 * const server = createServer({ routes: (router) => router.service(ConformanceService, createConformanceService()) });
 */
export function createConformanceService(): Partial<ServiceImpl<typeof ConformanceService>> {
  return {
    async unary(request, context) {
      return { payload: await answerOnce(request.responseDefinition, [anyPack(UnaryRequestSchema, request)], context) };
    },

    async idempotentUnary(request, context) {
      return {
        payload: await answerOnce(request.responseDefinition, [anyPack(IdempotentUnaryRequestSchema, request)], context),
      };
    },

    async clientStream(requests, context) {
      // Only the first message carries the response definition; later ones are ignored.
      let definition: UnaryResponseDefinition | undefined;
      const received: Any[] = [];
      for await (const request of requests) {
        if (received.length === 0) definition = request.responseDefinition;
        received.push(anyPack(ClientStreamRequestSchema, request));
      }
      return { payload: await answerOnce(definition, received, context) };
    },

    async *serverStream(request, context) {
      const definition = request.responseDefinition;
      const received = [anyPack(ServerStreamRequestSchema, request)];
      if (definition === undefined) return;
      setResponseMetadata(definition, context);
      let sent = 0;
      for (const data of definition.responseData) {
        await delay(definition.responseDelayMs, context.signal);
        // Only the first response echoes the request: nothing in it changes afterwards.
        yield { payload: payloadOf(data, sent === 0 ? requestInfoOf(context, received) : undefined) };
        sent++;
      }
      if (definition.error !== undefined) {
        throw errorOf(definition.error, sent, context, received);
      }
    },

    async *bidiStream(requests, context) {
      let definition: StreamResponseDefinition | undefined;
      let fullDuplex = false;
      let first = true;
      let sent = 0;
      // Requests not yet echoed: in full duplex, those since the last response.
      let received: Any[] = [];
      for await (const request of requests) {
        received.push(anyPack(BidiStreamRequestSchema, request));
        if (first) {
          first = false;
          definition = request.responseDefinition;
          fullDuplex = request.fullDuplex;
          if (definition !== undefined) setResponseMetadata(definition, context);
        }
        if (!fullDuplex) continue;
        const data = definition?.responseData[sent];
        // A request with no response left to answer it ends the stream with the error, if
        // any (service.proto, BidiStream: "if the server receives a request and has no
        // responses to send, it should throw the error specified in the request").
        if (definition === undefined || data === undefined) break;
        await delay(definition.responseDelayMs, context.signal);
        // The first response echoes everything; later ones only the requests since the last.
        const info = sent === 0 ? requestInfoOf(context, received) : create(ConformancePayload_RequestInfoSchema, { requests: received });
        yield { payload: payloadOf(data, info) };
        sent++;
        received = [];
      }
      if (definition === undefined) return;
      // Half duplex sends everything now; full duplex sends what outnumbers the requests.
      for (; sent < definition.responseData.length; sent++) {
        await delay(definition.responseDelayMs, context.signal);
        yield {
          payload: payloadOf(definition.responseData[sent], sent === 0 ? requestInfoOf(context, received) : undefined),
        };
      }
      if (definition.error !== undefined) {
        throw errorOf(definition.error, sent, context, received);
      }
    },
  };
}

/**
 * The answer of a single-response method (unary, client stream): the payload, or the
 * definition's error with the request info appended to its details. Without a definition:
 * no headers, no trailers, no data, only the request info.
 */
async function answerOnce(
  definition: UnaryResponseDefinition | undefined,
  received: Any[],
  context: HandlerContext,
): Promise<ConformancePayload> {
  const info = requestInfoOf(context, received);
  if (definition === undefined) return payloadOf(undefined, info);
  setResponseMetadata(definition, context);
  await delay(definition.responseDelayMs, context.signal);
  if (definition.response.case === "error") {
    throw connectErrorFromProto(definition.response.value, [anyPack(ConformancePayload_RequestInfoSchema, info)]);
  }
  return payloadOf(definition.response.value, info);
}

/**
 * The stream's final error. When no response went out, the request info rides in its details
 * instead (service.proto, StreamResponseDefinition.error: the equivalent of a trailers-only
 * response carries a RequestInfo).
 */
function errorOf(error: ConformanceError, sent: number, context: HandlerContext, received: Any[]): ConnectError {
  const extra = sent === 0 ? [anyPack(ConformancePayload_RequestInfoSchema, requestInfoOf(context, received))] : [];
  return connectErrorFromProto(error, extra);
}

/** Adds the definition's response headers and trailers to the call's. */
function setResponseMetadata(
  definition: Pick<UnaryResponseDefinition, "responseHeaders" | "responseTrailers">,
  context: HandlerContext,
): void {
  appendProtoHeaders(context.responseHeader, definition.responseHeaders);
  appendProtoHeaders(context.responseTrailer, definition.responseTrailers);
}

/**
 * What the server observed of the call: request headers, the remaining timeout, the given
 * requests, and for a request with a query (Connect GET) its query parameters.
 */
function requestInfoOf(context: HandlerContext, received: Any[]): ConformancePayload_RequestInfo {
  const timeoutMs = context.timeoutMs();
  const query = new URL(context.url, "http://localhost").searchParams;
  const queryParams = [...new Set(query.keys())].map((name) => create(HeaderSchema, { name, value: query.getAll(name) }));
  return create(ConformancePayload_RequestInfoSchema, {
    requestHeaders: toProtoHeaders(context.requestHeader),
    requests: received,
    ...(timeoutMs === undefined ? {} : { timeoutMs: BigInt(timeoutMs) }),
    ...(queryParams.length === 0 && context.requestMethod !== "GET"
      ? {}
      : { connectGetInfo: create(ConformancePayload_ConnectGetInfoSchema, { queryParams }) }),
  });
}

/** A payload with the given data (none: empty) and request info (none: unset). */
function payloadOf(data: Uint8Array | undefined, info: ConformancePayload_RequestInfo | undefined): ConformancePayload {
  return create(ConformancePayloadSchema, {
    ...(data === undefined ? {} : { data }),
    ...(info === undefined ? {} : { requestInfo: info }),
  });
}

/**
 * Waits `ms` milliseconds, or rejects with the call's abort reason (a deadline, a
 * cancellation) as soon as the call ends, so that no handler outlives its call.
 */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const abort = () => {
      clearTimeout(timer);
      reject(ConnectError.from(signal.reason, Code.Canceled));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", abort);
      resolve();
    }, ms);
    if (signal.aborted) abort();
    else signal.addEventListener("abort", abort, { once: true });
  });
}
