import type { DescMethodUnary, DescService } from "@bufbuild/protobuf";
import { type CallOptions, type Client, createClient as createConnectClient, makeAnyClient, type Transport } from "@connectrpc/connect";

/**
 * Creates connect's promise `Client` of `service` over `transport`, as connect's
 * `createClient` does, with fewer asynchronous steps per call: a unary method is the
 * transport's promise mapped to its message, and a server-streaming or bidi method returns
 * an iterable whose `next()` reads the transport's response stream directly instead of
 * through an async generator. What callers see is connect's: `onHeader` before the first
 * message, `onTrailer` after the last, errors from `next()`, no `return()` or `throw()` on
 * the iterable (connect leaves them out too), and `next()` calls answered in order.
 * Client-streaming methods are connect's own.
 *
 * @example
 * const client = createPromiseClient(HelloService, transport);
 * const { reply } = await client.sayHello({ greeting: "hi" });
 */
export function createPromiseClient<S extends DescService>(service: S, transport: Transport): Client<S> {
  const connect = createConnectClient(service, transport) as Record<string, unknown>;
  return makeAnyClient(service, (method) => {
    switch (method.methodKind) {
      case "unary":
        return unaryFn(transport, method);
      case "server_streaming":
        return (input: unknown, options?: CallOptions) =>
          responseStream(
            transport.stream(
              method,
              options?.signal,
              options?.timeoutMs,
              options?.headers,
              single(input as Record<string, unknown>),
              options?.contextValues,
            ),
            options,
          );
      case "bidi_streaming":
        return (input: AsyncIterable<Record<string, unknown>>, options?: CallOptions) =>
          responseStream(
            transport.stream(method, options?.signal, options?.timeoutMs, options?.headers, input, options?.contextValues),
            options,
          );
      default:
        return connect[method.localName] as never;
    }
  }) as Client<S>;
}

function unaryFn(transport: Transport, method: DescMethodUnary) {
  return (input: unknown, options?: CallOptions) => {
    let pending: ReturnType<Transport["unary"]>;
    try {
      pending = transport.unary(method, options?.signal, options?.timeoutMs, options?.headers, input as never, options?.contextValues);
    } catch (e) {
      // connect's unary function is async: whatever goes wrong is a rejection.
      return Promise.reject(e);
    }
    return pending.then((response) => {
      options?.onHeader?.(response.header);
      options?.onTrailer?.(response.trailer);
      return response.message;
    });
  };
}

/** The one request message of a server-streaming call, as connect passes it. */
async function* single<T>(input: T): AsyncIterable<T> {
  yield input;
}

type Response = Awaited<ReturnType<Transport["stream"]>>;

/**
 * The caller's iterable of a streaming call's response. A `next()` made while another is
 * pending waits for it, as an async generator's would.
 */
function responseStream(pending: Promise<Response>, options: CallOptions | undefined): AsyncIterable<unknown> {
  let response: Response | undefined;
  let messages: AsyncIterator<unknown> | undefined;
  let finished = false;
  let queued = 0;
  let last: Promise<IteratorResult<unknown>> | undefined;
  const read = async (): Promise<IteratorResult<unknown>> => {
    try {
      if (finished) return { done: true, value: undefined };
      if (messages === undefined) {
        response = await pending;
        options?.onHeader?.(response.header);
        messages = response.message[Symbol.asyncIterator]();
      }
      const result = await messages.next();
      if (result.done === true) {
        finished = true;
        options?.onTrailer?.(response!.trailer);
        return { done: true, value: undefined };
      }
      return result;
    } catch (e) {
      finished = true;
      throw e;
    } finally {
      queued--;
    }
  };
  const next = (): Promise<IteratorResult<unknown>> => {
    queued++;
    last = queued === 1 || last === undefined ? read() : last.then(read, read);
    return last;
  };
  return { [Symbol.asyncIterator]: () => ({ next }) };
}
