import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { type CallOptions, ConnectError } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { createClient, type ServiceClient } from "@hello/client";
import { clientOptionsOf } from "./client-options-of.js";
import { protoErrorFrom } from "./conformance-error.js";
import { headersFromProto, toProtoHeaders } from "./conformance-metadata.js";
import {
  type ClientCompatRequest,
  type ClientResponseResult,
  ClientResponseResultSchema,
} from "./gen/connectrpc/conformance/v1/client_compat_pb.js";
import { StreamType } from "./gen/connectrpc/conformance/v1/config_pb.js";
import {
  type BidiStreamRequest,
  BidiStreamRequestSchema,
  ClientStreamRequestSchema,
  type ConformancePayload,
  ConformancePayloadSchema,
  ConformanceService,
  IdempotentUnaryRequestSchema,
  ServerStreamRequestSchema,
  UnaryRequestSchema,
  UnimplementedRequestSchema,
} from "./gen/connectrpc/conformance/v1/service_pb.js";

type ConformanceClient = ServiceClient<typeof ConformanceService>;

/**
 * Makes the call a `ClientCompatRequest` describes with a `@hello/client` client, following
 * testing_clients.md step by step (request delays, cancellation before or after close-send
 * or after N responses, full- and half-duplex streams), and records what came back: response
 * headers, payloads, the RPC error with its details, trailers. RPC errors are results; only a
 * call that could not be made at all rejects.
 */
export async function invokeConformanceCall(request: ClientCompatRequest): Promise<ClientResponseResult> {
  if (request.service !== undefined && request.service !== ConformanceService.typeName) {
    throw new Error(`unknown service ${request.service}`);
  }
  const client = createClient(ConformanceService, clientOptionsOf(request));
  try {
    switch (request.method) {
      case ConformanceService.method.unary.name:
        return await unary(request, (options) => client.unary(single(request, UnaryRequestSchema), options));
      case ConformanceService.method.idempotentUnary.name:
        return await unary(request, (options) => client.idempotentUnary(single(request, IdempotentUnaryRequestSchema), options));
      case ConformanceService.method.unimplemented.name:
        // UnimplementedResponse has no payload: a success (which it should not be) records none.
        return await unary(request, async (options) => {
          await client.unimplemented(single(request, UnimplementedRequestSchema), options);
          return undefined;
        });
      case ConformanceService.method.serverStream.name:
        return await serverStream(client, request);
      case ConformanceService.method.clientStream.name:
        return await clientStream(client, request);
      case ConformanceService.method.bidiStream.name:
        return await bidiStream(client, request);
      default:
        throw new Error(`unknown method ${request.method}`);
    }
  } finally {
    client.close();
  }
}

/** The part of a call's results every method shares, and how to record an RPC error. */
interface Recorder {
  readonly result: ClientResponseResult;
  readonly controller: AbortController;
  readonly callOptions: CallOptions;
  /** Records a response message's payload (an empty one when the response had none). */
  payload(payload: ConformancePayload | undefined): void;
  /** Records an RPC error; its metadata stands in for headers and trailers not seen. */
  fail(error: unknown): void;
}

function createRecorder(request: ClientCompatRequest): Recorder {
  const result = create(ClientResponseResultSchema);
  const controller = new AbortController();
  let sawHeaders = false;
  let sawTrailers = false;
  return {
    result,
    controller,
    callOptions: {
      headers: headersFromProto(request.requestHeaders),
      signal: controller.signal,
      onHeader(headers) {
        sawHeaders = true;
        result.responseHeaders = toProtoHeaders(headers);
      },
      onTrailer(trailers) {
        sawTrailers = true;
        result.responseTrailers = toProtoHeaders(trailers);
      },
    },
    payload(payload) {
      result.payloads.push(payload ?? create(ConformancePayloadSchema));
    },
    fail(error) {
      const connectError = ConnectError.from(error);
      result.error = protoErrorFrom(connectError);
      // A failed unary call gives its metadata only on the error, headers and trailers
      // merged: treat it as trailers, and as headers when none arrived (testing_clients.md,
      // "Error handling").
      if (!sawHeaders) result.responseHeaders = toProtoHeaders(connectError.metadata);
      if (!sawTrailers) result.responseTrailers = toProtoHeaders(connectError.metadata);
    },
  };
}

/** Unary, IdempotentUnary and Unimplemented: one request, one response or an error. */
async function unary(
  request: ClientCompatRequest,
  call: (options: CallOptions) => Promise<{ payload?: ConformancePayload | undefined } | undefined>,
): Promise<ClientResponseResult> {
  const recorder = createRecorder(request);
  const cancel = cancelTimingOf(request);
  // The call is one blocking operation: a cancellation after close-send is scheduled first.
  if (cancel.afterCloseSendMs !== undefined) cancelAfter(recorder.controller, cancel.afterCloseSendMs);
  try {
    const response = await call(recorder.callOptions);
    if (response !== undefined) recorder.payload(response.payload);
  } catch (error) {
    recorder.fail(error);
  }
  return recorder.result;
}

async function serverStream(client: ConformanceClient, request: ClientCompatRequest): Promise<ClientResponseResult> {
  const recorder = createRecorder(request);
  const cancel = cancelTimingOf(request);
  try {
    const responses = client.serverStream(single(request, ServerStreamRequestSchema), recorder.callOptions);
    if (cancel.afterCloseSendMs !== undefined) {
      await sleep(cancel.afterCloseSendMs);
      recorder.controller.abort();
    }
    for await (const response of responses) {
      recorder.payload(response.payload);
      if (recorder.result.payloads.length === cancel.afterNumResponses) recorder.controller.abort();
    }
  } catch (error) {
    recorder.fail(error);
  }
  return recorder.result;
}

async function clientStream(client: ConformanceClient, request: ClientCompatRequest): Promise<ClientResponseResult> {
  const recorder = createRecorder(request);
  const cancel = cancelTimingOf(request);
  const messages = all(request, ClientStreamRequestSchema);
  let sent = 0;
  async function* requests() {
    for (const message of messages) {
      await sleep(request.requestDelayMs);
      yield message;
      sent++;
    }
    // connect's client closes the request stream when this generator returns and then
    // receives: close-send and receive are one step, so both cancellations happen here.
    if (cancel.beforeCloseSend) recorder.controller.abort();
    else if (cancel.afterCloseSendMs !== undefined) cancelAfter(recorder.controller, cancel.afterCloseSendMs);
  }
  try {
    const response = await client.clientStream(requests(), recorder.callOptions);
    recorder.payload(response.payload);
  } catch (error) {
    recorder.fail(error);
    recorder.result.numUnsentRequests = messages.length - sent;
  }
  return recorder.result;
}

async function bidiStream(client: ConformanceClient, request: ClientCompatRequest): Promise<ClientResponseResult> {
  const recorder = createRecorder(request);
  const cancel = cancelTimingOf(request);
  const messages = all(request, BidiStreamRequestSchema);
  const fullDuplex = request.streamType === StreamType.FULL_DUPLEX_BIDI_STREAM;
  const countResponse = () => {
    if (recorder.result.payloads.length === cancel.afterNumResponses) recorder.controller.abort();
  };
  const requests = createWritableIterable<BidiStreamRequest>();
  let sent = 0;
  try {
    const responses = client.bidiStream(requests, recorder.callOptions)[Symbol.asyncIterator]();
    for (const message of messages) {
      await sleep(request.requestDelayMs);
      try {
        await requests.write(message);
      } catch (sendError) {
        // A write fails once the call has ended (the server answered with an error and
        // closed the stream, the deadline passed): the call's own error is on the receive
        // side (testing_clients.md, "Error handling").
        recorder.result.numUnsentRequests = messages.length - sent;
        await receiveRest(responses, recorder, countResponse, sendError);
        return recorder.result;
      }
      sent++;
      if (!fullDuplex) continue;
      // Full duplex: one response per request, as they come.
      if (cancel.afterNumResponses === 0 && sent === 1) recorder.controller.abort();
      const next = await responses.next();
      if (next.done === true) break;
      recorder.payload(next.value.payload);
      countResponse();
    }
    if (cancel.beforeCloseSend) recorder.controller.abort();
    requests.close();
    if (cancel.afterCloseSendMs !== undefined) cancelAfter(recorder.controller, cancel.afterCloseSendMs);
    if (cancel.afterNumResponses === 0) recorder.controller.abort();
    for (;;) {
      const next = await responses.next();
      if (next.done === true) break;
      recorder.payload(next.value.payload);
      countResponse();
    }
  } catch (error) {
    recorder.fail(error);
    recorder.result.numUnsentRequests = messages.length - sent;
  } finally {
    requests.close();
  }
  return recorder.result;
}

/**
 * Receives what is left of a call whose send failed, recording payloads and the call's
 * error; the send's error only when the receive side ends without one.
 */
async function receiveRest(
  responses: AsyncIterator<{ payload?: ConformancePayload | undefined }>,
  recorder: Recorder,
  countResponse: () => void,
  sendError: unknown,
): Promise<void> {
  try {
    for (;;) {
      const next = await responses.next();
      if (next.done === true) break;
      recorder.payload(next.value.payload);
      countResponse();
    }
  } catch (error) {
    recorder.fail(error);
    return;
  }
  recorder.fail(sendError);
}

/** When the request asks to cancel: before close-send, some ms after it, or after N responses. */
interface CancelTiming {
  beforeCloseSend: boolean;
  afterCloseSendMs: number | undefined;
  afterNumResponses: number | undefined;
}

function cancelTimingOf(request: ClientCompatRequest): CancelTiming {
  const timing = request.cancel?.cancelTiming;
  return {
    beforeCloseSend: timing?.case === "beforeCloseSend",
    afterCloseSendMs: timing?.case === "afterCloseSendMs" ? timing.value : undefined,
    afterNumResponses: timing?.case === "afterNumResponses" ? timing.value : undefined,
  };
}

function cancelAfter(controller: AbortController, ms: number): void {
  setTimeout(() => controller.abort(), ms);
}

/** The request's one message, as the method's request type. */
function single<Desc extends DescMessage>(request: ClientCompatRequest, schema: Desc): MessageShape<Desc> {
  if (request.requestMessages.length !== 1) {
    throw new Error(`${request.method} takes exactly one request message, not ${request.requestMessages.length}`);
  }
  return all(request, schema)[0] as MessageShape<Desc>;
}

/** Every request message, as the method's request type (checked against the Any's type URL). */
function all<Desc extends DescMessage>(request: ClientCompatRequest, schema: Desc): MessageShape<Desc>[] {
  return request.requestMessages.map((message) => {
    const unpacked = anyUnpack(message, schema);
    if (unpacked === undefined) throw new Error(`request message ${message.typeUrl} is not a ${schema.typeName}`);
    return unpacked;
  });
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
