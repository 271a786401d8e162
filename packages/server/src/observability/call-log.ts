import type { DescMethod } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { Level, Logger } from "pino";
import type { RpcProtocol } from "../http/write-rpc-error.js";
import { requestIdKey } from "../request-id.js";
import { connectionInfoKey, peerOf } from "./connection-info.js";
import { type CallObserver, callTypeOf, codeNameOf, type ObservedCall } from "./observed-call.js";
import { traceContextKey } from "./traceparent.js";

/** The message of every call's log line. */
export const CALL_LOG_MESSAGE = "finished call";

/**
 * The level of a call's log line, by status code: go-grpc-middleware's
 * `logging.DefaultServerCodeToLevel`. Client mistakes are `info`, trouble worth a look
 * (deadlines, overload, refusals) `warn`, server faults `error`.
 */
const LEVEL_BY_CODE: readonly Level[] = Array.from({ length: 17 }, (_, code): Level => {
  switch (code) {
    case 0:
    case Code.Canceled:
    case Code.InvalidArgument:
    case Code.NotFound:
    case Code.AlreadyExists:
    case Code.Unauthenticated:
      return "info";
    case Code.DeadlineExceeded:
    case Code.PermissionDenied:
    case Code.ResourceExhausted:
    case Code.FailedPrecondition:
    case Code.Aborted:
    case Code.OutOfRange:
    case Code.Unavailable:
      return "warn";
    default: // Unknown, Unimplemented, Internal, DataLoss
      return "error";
  }
});

/**
 * Writes one JSON line per call through `logger`, when the call ends:
 *
 * ```json
 * {"level":30,"time":…,"service":"hello.v1.HelloService","method":"SayHello",
 *  "procedure":"/hello.v1.HelloService/SayHello","type":"unary","protocol":"grpc",
 *  "http_version":"2","code":"OK","duration_ms":0.412,"request_id":"…",
 *  "peer":"127.0.0.1:53124","trace_id":"…","span_id":"…","messages_received":1,
 *  "messages_sent":1,"msg":"finished call"}
 * ```
 *
 * `code` is "OK" or the {@link Code} name (as `grpc_code` in the metrics), a failed call
 * also has `error` (its message as sent to the client). `trace_id` and `span_id` come from
 * a valid `traceparent`; `span_id` is the caller's span, as this server starts none.
 * Fields without a value are left out. The line is only built when its level is enabled.
 */
export function createCallLog(logger: Logger): CallObserver {
  // What is the same for every call of a method over a protocol goes into a child logger's
  // bindings, which pino serializes once, when the child is made.
  const PROTOCOLS = ["grpc", "grpc-web", "connect"] as const;
  const children = new Map<DescMethod, Logger[]>();
  const loggerFor = (method: DescMethod, protocol: RpcProtocol): Logger => {
    let row = children.get(method);
    if (row === undefined) {
      const procedure = `/${method.parent.typeName}/${method.name}`;
      row = PROTOCOLS.map((p) =>
        logger.child(
          { service: method.parent.typeName, method: method.name, procedure, type: callTypeOf(method), protocol: p },
          // The parent's level decides (checked below), also after it changes.
          { level: "trace" },
        ),
      );
      children.set(method, row);
    }
    return row[PROTOCOLS.indexOf(protocol)] ?? logger;
  };

  return {
    callEnded(call: ObservedCall) {
      const level = LEVEL_BY_CODE[call.code] ?? "error";
      if (!logger.isLevelEnabled(level)) {
        return;
      }
      const { values } = call;
      const connection = values.get(connectionInfoKey);
      const trace = values.get(traceContextKey);
      const requestId = values.get(requestIdKey);
      loggerFor(call.method, call.protocol)[level](
        {
          http_version: connection?.httpVersion,
          code: codeNameOf(call.code),
          error: call.error?.rawMessage,
          duration_ms: Math.round(call.durationMs * 1000) / 1000,
          request_id: requestId === "" ? undefined : requestId,
          peer: connection && peerOf(connection),
          trace_id: trace?.traceId,
          span_id: trace?.parentId,
          messages_received: call.messagesReceived,
          messages_sent: call.messagesSent,
        },
        CALL_LOG_MESSAGE,
      );
    },
  };
}

/**
 * A reporter for the error boundary's `onUnexpectedError`: logs the original error, stack
 * included (pino's `err` serializer), at `error` level.
 */
export function logUnexpectedError(logger: Logger): (error: unknown, procedure: string) => void {
  return (error, procedure) => logger.error({ err: error, procedure }, "unexpected error");
}
