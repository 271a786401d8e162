import { tracingChannel } from "node:diagnostics_channel";
import type { DescMethod } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { type Level, type Logger, pino } from "pino";
import type { RpcProtocol } from "../http/write-rpc-error.js";
import { requestIdKey } from "../request-id.js";
import { type ConnectionInfo, connectionInfoKey, peerOf } from "./connection-info.js";
import { type CallObserver, callTypeOf, codeNameOf, type ObservedCall } from "./observed-call.js";
import { spanContextKey } from "./span-context.js";

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
 * also has `error` (its message as sent to the client). `trace_id` and `span_id` are the
 * call's span context (see `spanContextKey`): the server span's when an OpenTelemetry SDK
 * is registered, else the caller's, from a valid `traceparent`.
 * Fields without a value are left out. The line is only built when its level is enabled.
 */
export function createCallLog(logger: Logger, options: CallLogOptions = {}): CallObserver {
  // What is the same for every call of a method over a protocol goes into a child logger's
  // bindings, which pino serializes once, when the child is made.
  const PROTOCOLS = ["grpc", "grpc-web", "connect"] as const;
  const children = new Map<DescMethod, CallLogger[]>();
  const loggerFor = (method: DescMethod, protocol: RpcProtocol): CallLogger | undefined => {
    let row = children.get(method);
    if (row === undefined) {
      const procedure = `/${method.parent.typeName}/${method.name}`;
      row = PROTOCOLS.map((p) => {
        // No level of its own: a child without one reads the parent's level (and level
        // methods) through its prototype, so the parent's level and level comparison decide
        // for it, also after the level changes. A level of its own would be fixed when the
        // child is made and compared by the parent's `levelComparison`: "trace" there turns
        // every method but trace off under "DESC", and does not exist with
        // `useOnlyCustomLevels`.
        const child = logger.child({
          service: method.parent.typeName,
          method: method.name,
          procedure,
          type: callTypeOf(method),
          protocol: p,
        });
        return { child, direct: options.direct === false ? undefined : directLineWriter(child) };
      });
      children.set(method, row);
    }
    return row[PROTOCOLS.indexOf(protocol)];
  };

  return {
    callEnded(call: ObservedCall) {
      const level = LEVEL_BY_CODE[call.code] ?? "error";
      if (!logger.isLevelEnabled(level)) {
        return;
      }
      const { values } = call;
      const connection = values.get(connectionInfoKey);
      const trace = values.get(spanContextKey);
      const requestId = values.get(requestIdKey);
      const fields: CallLogFields = {
        http_version: connection?.httpVersion,
        code: codeNameOf(call.code),
        error: call.error?.rawMessage,
        duration_ms: Math.round(call.durationMs * 1000) / 1000,
        request_id: requestId === "" ? undefined : requestId,
        peer: connection && cachedPeerOf(connection),
        trace_id: trace?.traceId,
        span_id: trace?.spanId,
        messages_received: call.messagesReceived,
        messages_sent: call.messagesSent,
      };
      const target = loggerFor(call.method, call.protocol);
      if (target === undefined) logger[level](fields, CALL_LOG_MESSAGE);
      else if (target.direct !== undefined) target.direct(level, fields);
      else target.child[level](fields, CALL_LOG_MESSAGE);
    },
  };
}

/**
 * `peerOf` per HTTP/2 connection: its calls share one ConnectionInfo (HTTP/1.1 requests
 * each get their own, which are not worth remembering).
 */
const peers = new WeakMap<ConnectionInfo, string | undefined>();

function cachedPeerOf(connection: ConnectionInfo): string | undefined {
  if (connection.httpVersion !== "2") return peerOf(connection);
  let peer = peers.get(connection);
  if (peer === undefined && !peers.has(connection)) {
    peer = peerOf(connection);
    peers.set(connection, peer);
  }
  return peer;
}

/** Options of {@link createCallLog}. */
export interface CallLogOptions {
  /**
   * false: every line goes through pino's log method. By default a line is written
   * straight to the logger's stream when the logger's configuration lets pino write
   * exactly what {@link directLineWriter} writes (tests compare the two).
   */
  direct?: boolean;
}

/** The fields of a call's line, in the order pino writes them (undefined ones left out). */
export interface CallLogFields {
  http_version: string | undefined;
  code: string;
  error: string | undefined;
  duration_ms: number;
  request_id: string | undefined;
  peer: string | undefined;
  trace_id: string | undefined;
  span_id: string | undefined;
  messages_received: number;
  messages_sent: number;
}

/** A method's child logger for one protocol, and its direct writer when it has one. */
interface CallLogger {
  readonly child: Logger;
  readonly direct: ((level: Level, fields: CallLogFields) => void) | undefined;
}

const FIELD_NAMES: readonly (keyof CallLogFields)[] = [
  "http_version",
  "code",
  "error",
  "duration_ms",
  "request_id",
  "peer",
  "trace_id",
  "span_id",
  "messages_received",
  "messages_sent",
];

const {
  asJsonSym,
  chindingsSym,
  endSym,
  errorKeySym,
  formattersSym,
  hooksSym,
  lsCacheSym,
  messageKeySym,
  mixinSym,
  needsMetadataGsym,
  nestedKeySym,
  serializersSym,
  streamSym,
  stringifiersSym,
  timeSym,
  wildcardFirstSym,
  writeSym,
} = pino.symbols;
// In pino's symbols (lib/symbols.js), not in its typings.
const untypedSymbols = pino.symbols as unknown as Record<string, symbol | undefined>;
const msgPrefixSym = untypedSymbols["msgPrefixSym"];
const levelCompSym = untypedSymbols["levelCompSym"];

/**
 * pino's diagnostics channel (`tracing:pino_asJson:start`, `…:end`, …): pino 10 builds every
 * line through `tracingChannel("pino_asJson").traceSync(…)` unless its `hasSubscribers` is
 * false (`asJson` in pino's lib/tools.js), so that subscribers see each line. Channels are
 * shared by name, so this is the same channel as pino's.
 */
const asJsonChannel = tracingChannel("pino_asJson");

let plainLogger: Record<string | symbol, unknown> | undefined;

/**
 * A logger as pino makes it (made once, on first use) to compare others with: a logger
 * whose `onChild`, `asJson` or `write` differ from this one's has had them replaced.
 */
function plainPino(): Record<string | symbol, unknown> {
  plainLogger ??= pino({}, { write: () => undefined }) as unknown as Record<string | symbol, unknown>;
  return plainLogger;
}

/**
 * Whether `comparison` (a logger's `levelCompSym`) is pino's default level comparison,
 * ascending: a level is on when its value is at least the logger's. pino stores
 * `compareLevel.bind(null, order)` for "ASC" and "DESC" and a custom function as it is
 * given; bound functions made apart are never identical, so this asks for pino's bound
 * function (named as the plain logger's `reference` is) that answers as "ASC" does.
 */
function isDefaultLevelComparison(comparison: unknown, reference: unknown): boolean {
  if (typeof comparison !== "function" || typeof reference !== "function" || comparison.name !== reference.name) {
    return false;
  }
  const compare = comparison as (current: number, expected: number) => unknown;
  return compare(30, 30) === true && compare(40, 30) === true && compare(20, 30) === false;
}

/**
 * Writes a call's line to `child`'s stream as pino's own log method would — level and time
 * as the logger formats them, its bindings, the fields, the message, its line end — but
 * without pino's generic path: no merge object walked key by key, no serializer lookups
 * per key, no string escaping of values that cannot need it. pino spent ~3 µs per call on
 * that, about a tenth of the server's time per call under load (measured; the line is
 * one per call by design, see docs/performance.md). The bytes are pino's but for a lone surrogate
 * in a string, which this escapes (see {@link jsonString}).
 *
 * Only for a logger configured so that pino would write the same bytes: returns undefined
 * (and pino writes the lines) when the logger has a log formatter, mixin, message prefix,
 * nested key, redaction, serializers or an error key among the line's fields, hooks, a
 * level comparison other than pino's default, its `onChild`, `asJson` or `write` replaced,
 * or a stream that wants pino's metadata (multistream). A line also goes through pino's
 * log method while pino's `pino_asJson` diagnostics channel has subscribers (so that they
 * see it) and when its `error` is not a string. Reads pino's configuration through
 * `pino.symbols`, its public handle on it. Written by hand: pino has no API to write a
 * pre-built line through a logger.
 *
 * Writes whatever level it is given: the caller checks that the level is enabled, as
 * {@link createCallLog} does on the logger `child` was made from (and takes its level from).
 */
export function directLineWriter(child: Logger): ((level: Level, fields: CallLogFields) => void) | undefined {
  const config = child as unknown as Record<string | symbol, unknown>;
  const plain = plainPino();
  const formatters = config[formattersSym] as { log?: unknown } | undefined;
  const serializers = (config[serializersSym] ?? {}) as Record<string, unknown>;
  const stringifiers = (config[stringifiersSym] ?? {}) as Record<string | symbol, unknown>;
  const hooks = (config[hooksSym] ?? {}) as { logMethod?: unknown; streamWrite?: unknown };
  const messageKey = config[messageKeySym];
  const stream = config[streamSym] as { write(line: string): unknown; [key: symbol]: unknown } | undefined;
  const lsCache = config[lsCacheSym] as Record<number, string> | undefined;
  const time = config[timeSym];
  const chindings = config[chindingsSym];
  const end = config[endSym];
  if (
    formatters?.log !== undefined ||
    config[mixinSym] ||
    msgPrefixSym === undefined ||
    typeof config[msgPrefixSym] === "string" ||
    config[nestedKeySym] ||
    Object.keys(stringifiers).length > 0 ||
    stringifiers[wildcardFirstSym] !== undefined ||
    // An error key among the fields: pino passes that field through `serializers.err`.
    FIELD_NAMES.some((name) => serializers[name] !== undefined || config[errorKeySym] === name) ||
    typeof messageKey !== "string" ||
    serializers[messageKey] !== undefined ||
    hooks.logMethod !== undefined ||
    hooks.streamWrite !== undefined ||
    // The call log asks `isLevelEnabled` before it writes; pino's level methods are off only
    // where the comparison returns exactly `false`. Only pino's own comparison is known to
    // make the two agree (a custom one need not even return booleans).
    levelCompSym === undefined ||
    !isDefaultLevelComparison(config[levelCompSym], plain[levelCompSym]) ||
    // Replaced functions may add to, change or drop a line in ways this cannot know.
    config["onChild"] !== plain["onChild"] ||
    config[asJsonSym] !== plain[asJsonSym] ||
    config[writeSym] !== plain[writeSym] ||
    stream === undefined ||
    typeof stream.write !== "function" ||
    stream[needsMetadataGsym] === true ||
    lsCache === undefined ||
    typeof time !== "function" ||
    typeof chindings !== "string" ||
    typeof end !== "string"
  ) {
    return undefined;
  }
  // pino calls the time function as a method of the logger that logs (`this[timeSym]()`).
  // Its default, epoch milliseconds, is written once per millisecond: calls ending in the
  // same millisecond (many, under load) share the text.
  const timeOf = time === pino.stdTimeFunctions.epochTime ? createEpochTimeText() : (time as (this: Logger) => string);
  // What ends every line, and the line's start up to its own fields, made once per level
  // and time text (pino's default time text changes once per millisecond; a custom time
  // function's text is compared and the start rebuilt when it differs).
  const tail = `,"${messageKey}":${jsonString(CALL_LOG_MESSAGE)}${end}`;
  let headStart = "";
  let headTime = "";
  let head = "";
  // The `peer` field per peer text: a connection's calls share one (see cachedPeerOf).
  const peerFields = new Map<string, string>();
  return (level, fields) => {
    const levelValue = child.levels.values[level];
    const start = levelValue === undefined ? undefined : lsCache[levelValue];
    if (
      start === undefined ||
      // Checked per line, as pino does: subscribers come and go. Not a boolean where Node
      // lacks `TracingChannel#hasSubscribers` (before 20.13), and then pino always traces.
      asJsonChannel.hasSubscribers !== false ||
      // Typed a string, but `ConnectError.from` takes any thrown error's `message` as it is.
      (fields.error !== undefined && typeof fields.error !== "string")
    ) {
      child[level](fields, CALL_LOG_MESSAGE);
      return;
    }
    const time = timeOf.call(child);
    if (time !== headTime || start !== headStart) {
      headStart = start;
      headTime = time;
      head = start + time + chindings;
    }
    // Fields in pino's order (the merge object's), undefined ones left out.
    let line = head;
    const code = CODE_FIELDS.get(fields.code) ?? `,"code":${jsonString(fields.code)}`;
    if (fields.http_version === "2") {
      line += HTTP2_CODE_FIELDS.get(fields.code) ?? HTTP_VERSION_2 + code;
    } else {
      if (fields.http_version !== undefined) line += `,"http_version":${jsonString(fields.http_version)}`;
      line += code;
    }
    if (fields.error !== undefined) line += `,"error":${jsonString(fields.error)}`;
    line += `,"duration_ms":${millisText(fields.duration_ms)}`;
    if (fields.request_id !== undefined) line += `,"request_id":${jsonString(fields.request_id)}`;
    if (fields.peer !== undefined) {
      let peer = peerFields.get(fields.peer);
      if (peer === undefined) {
        peer = `,"peer":${jsonString(fields.peer)}`;
        // Bounded: peers come and go (a new port per connection).
        if (peerFields.size >= MAX_PEER_FIELDS) peerFields.clear();
        peerFields.set(fields.peer, peer);
      }
      line += peer;
    }
    if (fields.trace_id !== undefined) line += `,"trace_id":${jsonString(fields.trace_id)}`;
    if (fields.span_id !== undefined) line += `,"span_id":${jsonString(fields.span_id)}`;
    line +=
      fields.messages_received === 1 && fields.messages_sent === 1
        ? ONE_MESSAGE_EACH
        : `,"messages_received":${jsonNumber(fields.messages_received)},"messages_sent":${jsonNumber(fields.messages_sent)}`;
    stream.write(line + tail);
  };
}

const HTTP_VERSION_2 = `,"http_version":"2"`;

/** The `code` field of every status code's name (see codeNameOf), as written. */
const CODE_FIELDS = new Map(Array.from({ length: 17 }, (_, code) => [codeNameOf(code), `,"code":"${codeNameOf(code)}"`]));

/** `http_version` "2" and the `code` field together, as written: most lines have both. */
const HTTP2_CODE_FIELDS = new Map([...CODE_FIELDS].map(([name, field]) => [name, HTTP_VERSION_2 + field]));

/** The message counts of a unary call (one each way), as written. */
const ONE_MESSAGE_EACH = `,"messages_received":1,"messages_sent":1`;

/** Peers whose `peer` field a line writer remembers. */
const MAX_PEER_FIELDS = 1024;

/**
 * pino's `stdTimeFunctions.epochTime` (`,"time":` and `Date.now()`), remembering its text
 * for the millisecond it was made in.
 */
function createEpochTimeText(): () => string {
  let at = -1;
  let text = "";
  return () => {
    const now = Date.now();
    if (now !== at) {
      at = now;
      text = `,"time":${now}`;
    }
    return text;
  };
}

/** Printable ASCII but `"` and `\\`: what a JSON string holds as it is. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * A string as JSON: exactly `JSON.stringify(value)`, without the call when the string is
 * {@link PLAIN}. pino writes strings so on Node 25 and later (it uses `JSON.stringify`
 * there). Before, pino's own escaper (`asString` in its lib/tools.js) writes the same but
 * for lone surrogates, which it leaves raw, making the line invalid UTF-8; this escapes them.
 */
function jsonString(value: string): string {
  return PLAIN.test(value) ? `"${value}"` : JSON.stringify(value);
}

/**
 * A duration in milliseconds rounded to the microsecond, as `String(ms)` writes it ("0.412",
 * "1.5", "12"), from integers: converting a fractional double to text was over a fifth of
 * the line's cost. Anything outside the plain range goes to {@link jsonNumber}.
 */
export function millisText(ms: number): string {
  const micros = Math.round(ms * 1000);
  if (!(micros >= 0 && micros < 1e15) || micros / 1000 !== ms) return jsonNumber(ms);
  const whole = Math.floor(micros / 1000);
  let fraction = micros - whole * 1000;
  if (fraction === 0) return String(whole);
  let digits = 3;
  while (fraction % 10 === 0) {
    fraction /= 10;
    digits--;
  }
  return `${whole}.${String(fraction).padStart(digits, "0")}`;
}

/** A number as pino writes it: non-finite ones as null. */
function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : "null";
}

/**
 * A reporter for the error boundary's `onUnexpectedError`: logs the original error, stack
 * included (pino's `err` serializer), at `error` level.
 */
export function logUnexpectedError(logger: Logger): (error: unknown, procedure: string) => void {
  return (error, procedure) => logger.error({ err: error, procedure }, "unexpected error");
}
