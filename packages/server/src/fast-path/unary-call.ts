import type * as http2 from "node:http2";
import type { DescMessage, DescMethodStreaming, DescMethodUnary, DescService, MessageShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  createContextKey,
  type HandlerContext,
  type StreamRequest,
  type UnaryRequest,
} from "@connectrpc/connect";
import { type AbortPeekable, peekAbort } from "../call-abort-state.js";
import { peekResponseMetadata, type ResponseMetadata, type ResponseMetadataPeekable } from "../response-metadata-state.js";
import { CallHeaders } from "./call-headers.js";
import type { InFlightCall } from "./in-flight-calls.js";

/**
 * The reason a call's signal is aborted with when it ends normally or its client goes
 * away without an HTTP/2 error code. connect aborts with a new `DOMException` each time
 * (`AbortController.abort()` without a reason); one built once reads the same and costs
 * nothing per call.
 */
export const CALL_ENDED: unknown = new DOMException("This operation was aborted", "AbortError");

/** Finds the call behind a request object that an interceptor copied with `{ ...req }`. */
const CALL = Symbol("fast path call");

/** Finds the call behind a request object an interceptor built from scratch (it keeps `contextValues`). */
const callKey = createContextKey<FastCall | undefined>(undefined, { description: "fast path call" });

/** What a call's lifecycle needs from the protocol it speaks. */
export interface CallInit {
  readonly service: DescService;
  readonly method: DescMethodUnary | DescMethodStreaming;
  readonly url: string;
  readonly protocolName: "grpc" | "grpc-web" | "connect";
  readonly contextValues: ContextValues;
  /** The request headers as Node parsed them (pseudo-headers included; they are skipped). */
  readonly nodeHeaders: http2.IncomingHttpHeaders;
  /** The call's timeout from its request header, if it has one. */
  readonly timeoutMs: number | undefined;
  /** Aborted when the server's grace period is over. */
  readonly shutdownSignal: AbortSignal | undefined;
  /** The content type and other headers connect starts the response headers with. */
  readonly responseHeaderInit: Readonly<Record<string, string>>;
  /** The trailers connect starts with (gRPC: `grpc-status: 0`). */
  readonly responseTrailerInit: Readonly<Record<string, string>> | undefined;
}

/**
 * One call on the fast path (unary: {@link UnaryCall}, server-streaming:
 * {@link ServerStreamCall}): the request that connect `Interceptor`s see, and the
 * `HandlerContext` the method implementation gets when the interceptors pass the request
 * on unchanged. A class, not an object literal: one is made per call, and the context
 * fields are prototype getters that cost nothing until read.
 *
 * The signal is made only when someone reads it, and is then linked the way connect
 * links it (deadline, client reset, server shutdown, end of the call): no
 * `AbortController`, no abort event at the end of the call, no timer without a deadline
 * and no listener on the shutdown signal (the fast path aborts its calls in flight
 * itself) unless they are needed. Every other request field is an own data
 * property, so `{ ...req }` in an interceptor copies it; `signal` is restored on such
 * copies by the chain (see `createUnaryMethod`).
 */
export abstract class FastCall implements HandlerContext, AbortPeekable, ResponseMetadataPeekable, InFlightCall {
  // The request fields interceptors see (UnaryRequest / StreamRequest), but `stream` and `message`.
  abstract readonly stream: boolean;
  readonly service: DescService;
  readonly method: DescMethodUnary | DescMethodStreaming;
  readonly requestMethod = "POST";
  readonly url: string;
  readonly contextValues: ContextValues;
  /** Set by {@link FastCall.begin}, once the body is read. */
  header: Headers = UNSET_HEADERS;
  readonly [CALL]: FastCall;

  readonly protocolName: "grpc" | "grpc-web" | "connect";
  /** Whether the response has been settled (written or given up on). */
  ended = false;
  /** Its slot among the fast path's calls in flight (see createInFlightCalls); -1 when in none. */
  inFlightSlot = -1;
  /** The request headers as Node parsed them, until {@link FastCall.begin} has read them. */
  private nodeHeaders: http2.IncomingHttpHeaders | undefined;
  private readonly timeoutMsInit: number | undefined;
  private readonly responseHeaderInit: Readonly<Record<string, string>>;
  private readonly responseTrailerInit: Readonly<Record<string, string>> | undefined;
  private controller: AbortController | undefined = undefined;
  private abortedSignal: AbortSignal | undefined = undefined;
  /** Why the call was aborted before its signal existed. */
  private earlyReason: unknown = undefined;
  private aborted = false;
  private deadlineAt = 0;
  private timer: NodeJS.Timeout | undefined = undefined;
  private responseHeaderValue: Headers | undefined = undefined;
  private responseTrailerValue: Headers | undefined = undefined;
  private timeoutFn: (() => number | undefined) | undefined = undefined;

  constructor(init: CallInit) {
    // Only what the call needs later is kept, not `init`: its request headers are let go
    // once read (begin), which matters for as long as a stream stays open.
    this.nodeHeaders = init.nodeHeaders;
    this.timeoutMsInit = init.timeoutMs;
    this.responseHeaderInit = init.responseHeaderInit;
    this.responseTrailerInit = init.responseTrailerInit;
    this.service = init.service;
    this.method = init.method;
    this.url = init.url;
    this.protocolName = init.protocolName;
    this.contextValues = init.contextValues;
    this[CALL] = this;
    init.contextValues.set(callKey, this);
    if (init.timeoutMs !== undefined) {
      // As connect: the deadline counts from the arrival of the request headers.
      this.deadlineAt = new Date(Date.now() + init.timeoutMs).getTime();
      if (init.timeoutMs <= 0) this.abort(deadlineExceeded());
      else this.timer = setTimeout(onDeadline, init.timeoutMs, this);
    }
  }

  /** Makes the request complete for the interceptors: its headers. */
  begin(): void {
    if (this.nodeHeaders === undefined) return;
    this.header = CallHeaders.fromNode(this.nodeHeaders);
    this.nodeHeaders = undefined;
  }

  /** Aborted as connect's handler signal is; made on first use. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      // Already over: an aborted signal, without dispatching an abort event no one can hear.
      if (this.aborted) return (this.abortedSignal ??= AbortSignal.abort(this.earlyReason));
      this.controller = new AbortController();
    }
    return this.controller.signal;
  }

  /**
   * Aborts the call's signal (first reason wins) and stops its deadline timer: what
   * connect's `context.abort(reason)` does.
   */
  abort(reason?: unknown): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.aborted) return;
    this.aborted = true;
    const why = reason === undefined ? CALL_ENDED : reason;
    if (this.controller) this.controller.abort(why);
    else this.earlyReason = why;
  }

  /** Whether the call was aborted, and why, without creating its signal. */
  [peekAbort](): { reason: unknown } | undefined {
    if (!this.aborted) return undefined;
    return { reason: this.controller !== undefined ? (this.controller.signal.reason as unknown) : this.earlyReason };
  }

  // HandlerContext

  get requestHeader(): Headers {
    return this.header;
  }

  get values(): ContextValues {
    return this.contextValues;
  }

  get responseHeader(): Headers {
    return (this.responseHeaderValue ??= headersOf(this.responseHeaderInit));
  }

  get responseTrailer(): Headers {
    return (this.responseTrailerValue ??= headersOf(this.responseTrailerInit));
  }

  /** A function, as connect's: handlers may take it off the context (`const { timeoutMs } = ctx`). */
  get timeoutMs(): () => number | undefined {
    if (this.timeoutMsInit === undefined) return noTimeout;
    const at = this.deadlineAt;
    return (this.timeoutFn ??= () => at - Date.now());
  }

  /**
   * The response headers or trailers for the reserved-metadata guard, without creating
   * them (see peekResponseMetadata): their initial values while no reserved key was
   * written — also after something made the `Headers` from them (a handler adding its own
   * trailer, as most do) — and the `Headers` once one was.
   */
  [peekResponseMetadata](which: "header" | "trailer"): ResponseMetadata {
    const made = which === "header" ? this.responseHeaderValue : this.responseTrailerValue;
    const init = which === "header" ? this.responseHeaderInit : this.responseTrailerInit;
    // Made from `init` by headersOf (a CallHeaders): its reserved entries are init's until written.
    return made === undefined || (made instanceof CallHeaders && !made.reservedWritten) ? init : made;
  }

  /** The response headers if anything created them; connect's initial ones otherwise. */
  responseHeaderOrInit(): Headers | Readonly<Record<string, string>> {
    return this.responseHeaderValue ?? this.responseHeaderInit;
  }

  /** The response trailers if anything created them; connect's initial ones otherwise. */
  responseTrailerOrInit(): Headers | Readonly<Record<string, string>> | undefined {
    return this.responseTrailerValue ?? this.responseTrailerInit;
  }
}

/** A unary call on the fast path: the `UnaryRequest` interceptors see, and the handler's context. */
export class UnaryCall extends FastCall implements UnaryRequest {
  readonly stream = false as const;
  declare readonly method: DescMethodUnary;
  /** Set once the body is parsed. */
  message: MessageShape<DescMessage> = undefined as unknown as MessageShape<DescMessage>;
}

/**
 * A streaming call on the fast path (server-, client- or bidi-streaming): the
 * `StreamRequest` interceptors see (its `message` yields the request messages), and the
 * handler's context.
 */
export class ServerStreamCall extends FastCall implements StreamRequest {
  readonly stream = true as const;
  declare readonly method: DescMethodStreaming;
  /** Set once the body is read: the request messages, or the error reading them ends with. */
  message: AsyncIterable<MessageShape<DescMessage>> = EMPTY;
}

const EMPTY: AsyncIterable<never> = {
  [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }),
};

/**
 * The handler context when an interceptor passed a different request object on: connect
 * builds the context from the call with the request's `service`, `header`, `signal` and
 * `contextValues` (its `mergeRequest`); the rest is the call's.
 */
export class InterceptedContext implements HandlerContext {
  constructor(
    private readonly call: FastCall,
    private readonly req: UnaryRequest | StreamRequest,
  ) {}

  get method() {
    return this.call.method;
  }
  get service() {
    return this.req.service;
  }
  get signal() {
    return this.req.signal ?? this.call.signal;
  }
  get timeoutMs() {
    return this.call.timeoutMs;
  }
  get requestMethod() {
    return this.call.requestMethod;
  }
  get requestHeader() {
    return this.req.header;
  }
  get responseHeader() {
    return this.call.responseHeader;
  }
  get responseTrailer() {
    return this.call.responseTrailer;
  }
  get protocolName() {
    return this.call.protocolName;
  }
  get values() {
    return this.req.contextValues;
  }
  get url() {
    return this.call.url;
  }
  abort(reason?: unknown): void {
    this.call.abort(reason);
  }
}

/** The call a request object stands for, even when an interceptor replaced or copied it. */
export function callOf(req: UnaryRequest | StreamRequest): FastCall | undefined {
  return (req as Partial<Record<typeof CALL, FastCall>>)[CALL] ?? req.contextValues.get(callKey);
}

/**
 * The call behind the request the innermost interceptor passed on, and the context its
 * implementation gets: the call itself when the request is the call, else connect's
 * merge of the two (see {@link InterceptedContext}).
 */
export function callAndContextOf(req: UnaryRequest | StreamRequest): { call: FastCall; ctx: HandlerContext } {
  const call = callOf(req);
  if (call === undefined) {
    throw new ConnectError("request object lost its call: an interceptor replaced contextValues", Code.Internal);
  }
  return { call, ctx: (req as unknown) === call ? call : new InterceptedContext(call, req) };
}

/**
 * Gives a copy of a call's request (`{ ...req }` in an interceptor) the `signal` the copy
 * could not take from the call's prototype, so that the interceptors after it and the
 * handler see the field as they would with connect. Returns the request itself.
 */
export function withSignal<R extends UnaryRequest | StreamRequest>(req: R): R {
  if (req instanceof FastCall) return req;
  const call = (req as Partial<Record<typeof CALL, FastCall>>)[CALL];
  if (call !== undefined && !("signal" in req)) {
    (req as { signal: AbortSignal }).signal = call.signal;
  }
  return req;
}

const noTimeout = (): undefined => undefined;

function deadlineExceeded(): ConnectError {
  // connect's message (createDeadlineSignal).
  return new ConnectError("the operation timed out", Code.DeadlineExceeded);
}

function onDeadline(call: FastCall): void {
  call.abort(deadlineExceeded());
}

// A placeholder until begin(): keeps the field's type (and V8's object shape) stable.
const UNSET_HEADERS = new Headers();

/** The response headers or trailers a call starts with (literals built by the fast path). */
function headersOf(init: Readonly<Record<string, string>> | undefined): Headers {
  return CallHeaders.fromTrusted(init);
}
