import { create, type DescMessage, type DescMethodUnary, type MessageShape } from "@bufbuild/protobuf";
import type { ConnectRouterOptions, Interceptor, MethodImplSpec, StreamRequest, UnaryRequest, UnaryResponse } from "@connectrpc/connect";
import { createMethodSerializationLookup, type MethodSerializationLookup } from "@connectrpc/connect/protocol";
import { callAndContextOf, type FastCall, type UnaryCall, withSignal } from "./unary-call.js";

/** A unary method as connect registered it: its implementation, bound as connect binds it. */
export type UnaryMethodSpec = Extract<MethodImplSpec, { kind: "unary" }>;

/** What the fast path keeps of every method it serves, built once. */
export interface FastPathMethodCommon {
  /** connect's serializers for this method, with the server's limits. */
  readonly serialization: MethodSerializationLookup<DescMessage, DescMessage>;
  /** The router's `jsonOptions`, for Connect JSON error bodies as connect writes them. */
  readonly jsonOptions: ConnectRouterOptions["jsonOptions"];
  /** The URL connect reports for this method at `authority` (`new URL(path, base)`), cached. */
  urlOf(scheme: "http" | "https", authority: string): string | undefined;
}

/** What the fast path keeps per unary method, built once. */
export interface UnaryMethod extends FastPathMethodCommon {
  readonly kind: "unary";
  readonly spec: UnaryMethodSpec;
  readonly method: DescMethodUnary;
  /**
   * Runs the interceptors and the implementation for a call whose message is parsed, as
   * connect's `invokeUnaryImplementation` does, and hands the response message to
   * `onMessage` or the error to `onError` (called asynchronously, once). Continuations
   * rather than a promise: the caller's `.then` would be one more promise and turn per call.
   */
  invoke(call: UnaryCall, onMessage: (message: MessageShape<DescMessage>) => void, onError: (error: unknown) => void): void;
}

/** Limits from the server options, as connect validated them. */
export interface UnaryMethodLimits {
  readMaxBytes: number;
  writeMaxBytes: number;
  /** connect's `binaryOptions` (router option), for the method's serializers. */
  binaryOptions?: ConnectRouterOptions["binaryOptions"];
  /** connect's `jsonOptions` (router option): serializers and Connect JSON error bodies. */
  jsonOptions?: ConnectRouterOptions["jsonOptions"];
}

/**
 * Builds the fast path's view of one unary method: the interceptor chain is applied once
 * here, not per call (connect applies it per call); its innermost function finds the
 * call from the request object it is given.
 */
export function createUnaryMethod(
  path: string,
  spec: UnaryMethodSpec,
  interceptors: readonly Interceptor[],
  limits: UnaryMethodLimits,
): UnaryMethod {
  const method = spec.method;
  const output = method.output;

  /** The response connect's `anyFn` makes of what the implementation returned. */
  const responseOf = (call: FastCall, returned: unknown): UnaryResponse =>
    ({
      stream: false,
      service: method.parent,
      method,
      header: call.responseHeader,
      trailer: call.responseTrailer,
      message: create(output, returned as never),
    }) as UnaryResponse;

  // connect's `anyFn`: the implementation, with a context built from the (possibly
  // replaced) request, and its result normalized to a message. Not an async function: a
  // synchronous implementation (most unary ones) then costs one settled promise instead
  // of an async frame that awaits its result; errors still reject, never throw.
  const innermost = (req: UnaryRequest): Promise<UnaryResponse> => {
    try {
      const { call, ctx } = callAndContextOf(req);
      const returned: unknown = spec.impl(req.message as never, ctx);
      if (isThenable(returned)) return Promise.resolve(returned).then((value) => responseOf(call, value));
      return Promise.resolve(responseOf(call, returned));
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const run = applyInterceptors(innermost, interceptors);

  return {
    kind: "unary",
    spec,
    method,
    serialization: createMethodSerializationLookup(method, limits.binaryOptions, limits.jsonOptions, limits),
    jsonOptions: limits.jsonOptions,
    invoke(call, onMessage, onError) {
      let response: Promise<UnaryResponse>;
      try {
        response = run(call);
      } catch (error) {
        // An interceptor that throws instead of rejecting (connect awaits it in an async
        // function): the error still arrives asynchronously, as from a rejection.
        response = Promise.reject(error);
      }
      // An interceptor (in JavaScript) that returns the response itself: connect awaits whatever it gets.
      if (!isThenable(response)) response = Promise.resolve(response);
      response.then(({ message, header, trailer }) => {
        try {
          copyHeaders(header, call.responseHeader);
          copyHeaders(trailer, call.responseTrailer);
        } catch (error) {
          // Headers an interceptor replaced with something that fails to copy: as a rejection would.
          onError(error);
          return;
        }
        onMessage(message as MessageShape<DescMessage>);
      }, onError);
    },
    urlOf: createUrlCache(path),
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null | undefined)?.then === "function";
}

/** The URL connect reports for `path` at an authority (`new URL(path, base)`), cached per authority. */
export function createUrlCache(path: string): (scheme: "http" | "https", authority: string) => string | undefined {
  const urls = new Map<string, string | undefined>();
  return (scheme, authority) => {
    const key = scheme === "https" ? `s${authority}` : authority;
    let url = urls.get(key);
    if (url === undefined && !urls.has(key)) {
      url = urlFor(scheme, authority, path);
      // A bounded cache: a client that sends ever new authorities only costs us the parse.
      if (urls.size < MAX_CACHED_AUTHORITIES) urls.set(key, url);
    }
    return url;
  };
}

const MAX_CACHED_AUTHORITIES = 64;

function urlFor(scheme: string, authority: string, path: string): string | undefined {
  try {
    // connect-node: new URL(pathname, `${protocol}://${authority}`).toString()
    return new URL(path, `${scheme}://${authority}`).toString();
  } catch {
    return undefined;
  }
}

/** connect's `copyHeaders` (invoke-implementation.js), kept as is so edge cases match. */
export function copyHeaders(from: Headers, to: Headers): void {
  if (from === to) {
    return;
  }
  to.forEach((_, key) => {
    to.delete(key);
  });
  from.forEach((value, key) => {
    to.set(key, value);
  });
}

/**
 * Wraps `innermost` in `interceptors` (the first outermost), once. Each interceptor's
 * `next` restores `signal` on a request an interceptor copied (see `withSignal`).
 */
export function applyInterceptors<Req extends UnaryRequest | StreamRequest, Res>(
  innermost: (req: Req) => Promise<Res>,
  interceptors: readonly Interceptor[],
): (req: Req) => Promise<Res> {
  let chain = innermost;
  for (let i = interceptors.length - 1; i >= 0; i--) {
    const next = chain;
    chain = interceptors[i]!(((req: Req) => next(withSignal(req))) as never) as unknown as typeof chain;
  }
  return chain;
}
