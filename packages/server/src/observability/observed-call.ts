import type { DescMethod } from "@bufbuild/protobuf";
import { Code, type ConnectError, type ContextValues } from "@connectrpc/connect";
import type { RpcProtocol } from "../http/write-rpc-error.js";

/**
 * One call as the observing interceptor saw it. A class, not an object literal: one is
 * made per call, and V8 builds class instances with a fixed shape cheaply.
 */
export class ObservedCall {
  /** The status the call ended with: 0 (OK) or a {@link Code}. Set when it ends. */
  code: Code | 0 = 0;
  /** The error the call ended with, when it failed. */
  error: ConnectError | undefined = undefined;
  /** Wall time from the interceptor's start to the end of the call (for streams, the end of the response stream). */
  durationMs = 0;
  /** Request messages the handler read. */
  messagesReceived = 0;
  /** Response messages the handler produced. */
  messagesSent = 0;

  constructor(
    /** The method called; `method.parent` is its service. */
    readonly method: DescMethod,
    /** The wire protocol, from the request's content type. */
    readonly protocol: RpcProtocol,
    /** The call's context values: request id, trace context, connection. */
    readonly values: ContextValues,
    /** `performance.now()` when the call reached the interceptor. */
    readonly startedAt: number,
  ) {}
}

/**
 * Something that wants to know about calls: metrics, logs. Called synchronously on the
 * call's path, so it must be quick and must not throw.
 */
export interface CallObserver {
  /** A call is starting; the handler has not run yet. */
  callStarted?(call: ObservedCall): void;
  /** A call has ended (once per call): `code`, `durationMs` and the message counts are final. */
  callEnded(call: ObservedCall): void;
}

/** go-grpc-middleware's `grpc_type` values, by connect method kind. */
const CALL_TYPES: Record<DescMethod["methodKind"], string> = {
  unary: "unary",
  client_streaming: "client_stream",
  server_streaming: "server_stream",
  bidi_streaming: "bidi_stream",
};

/** The call type as gRPC's Prometheus metrics name it: unary, client_stream, server_stream or bidi_stream. */
export function callTypeOf(method: DescMethod): string {
  return CALL_TYPES[method.methodKind];
}

const CODE_NAMES: readonly string[] = Array.from({ length: 17 }, (_, code) => (code === 0 ? "OK" : (Code[code] ?? String(code))));

/**
 * A status code's name, as Go's `codes.Code.String()` spells it (the `grpc_code` label of
 * gRPC's Prometheus metrics): "OK", "InvalidArgument", … — connect's `Code` names match.
 */
export function codeNameOf(code: Code | 0): string {
  return CODE_NAMES[code] ?? String(code);
}
