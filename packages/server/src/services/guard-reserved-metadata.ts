import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { type ResponseMetadata, responseMetadataOf } from "../response-metadata-state.js";

/** Metadata keys starting with this prefix belong to the gRPC protocol itself. */
export const RESERVED_PREFIX = "grpc-";

/**
 * The reserved entries of `headers` as one string ("key: value" lines, by key), or "" when
 * there are none: a snapshot that costs one walk and no allocation in the usual case, and
 * that compares with `===`. A plain record (initial values) reads as the `Headers` made
 * from it would.
 */
function reservedOf(headers: ResponseMetadata): string {
  let found = "";
  if (headers === undefined) return found;
  if (headers instanceof Headers) {
    headers.forEach((value, key) => {
      if (key.startsWith(RESERVED_PREFIX)) found += `${key}: ${value}\n`;
    });
    return found;
  }
  for (const key of Object.keys(headers).sort()) {
    if (key.startsWith(RESERVED_PREFIX)) found += `${key}: ${headers[key]}\n`;
  }
  return found;
}

/**
 * What to compare a context's response headers or trailers with after the handler: a
 * snapshot taken now of a `Headers` object (it may change), or the initial values
 * themselves (they never change; on the fast path they stand for the reserved entries
 * until a reserved key is written), whose snapshot is only needed if one was written
 * meanwhile.
 */
function before(ctx: HandlerContext, which: "header" | "trailer"): string | ResponseMetadata {
  const metadata = responseMetadataOf(ctx, which);
  return metadata instanceof Headers ? reservedOf(metadata) : metadata;
}

function assertUntouched(ctx: HandlerContext, earlier: string | ResponseMetadata, where: "header" | "trailer", procedure: string): void {
  const metadata = responseMetadataOf(ctx, where);
  // Still the initial values: no reserved key written, so none changed (no walk at all).
  if (metadata === earlier) return;
  const after = reservedOf(metadata);
  const beforeText = typeof earlier === "string" ? earlier : reservedOf(earlier);
  if (after === beforeText) return;
  const earlierLines = new Set(beforeText.split("\n"));
  const touched = new Set<string>();
  for (const line of after.split("\n")) {
    if (line !== "" && !earlierLines.has(line)) touched.add(line.slice(0, line.indexOf(":")));
  }
  // A removed key changes the snapshot too, but only additions and changes are refused.
  if (touched.size > 0) {
    throw new ConnectError(
      `handler of ${procedure} set reserved response ${where} ${[...touched].join(", ")}: keys starting with "${RESERVED_PREFIX}" belong to the gRPC protocol`,
      Code.Internal,
    );
  }
}

/**
 * Wraps every method of a service implementation so that user code cannot set reserved
 * `grpc-*` response headers or trailers (`grpc-status`, `grpc-message`, …), which would
 * corrupt the protocol. Keys connect itself set before the handler ran (e.g.
 * `grpc-encoding`) are allowed; anything a handler adds or changes fails the call with
 * INTERNAL and a message naming the keys, so the bug shows in tests instead of on the wire.
 */
export function guardReservedMetadata<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>): Partial<ServiceImpl<S>> {
  const guarded: Record<string, unknown> = {};
  for (const method of service.methods) {
    const fn = (impl as Record<string, unknown>)[method.localName] as ((input: unknown, ctx: HandlerContext) => unknown) | undefined;
    if (fn === undefined) continue;
    const procedure = `/${service.typeName}/${method.name}`;
    if (method.methodKind === "unary" || method.methodKind === "client_streaming") {
      guarded[method.localName] = (input: unknown, ctx: HandlerContext) => {
        const header = before(ctx, "header");
        const trailer = before(ctx, "trailer");
        const check = (output: unknown) => {
          assertUntouched(ctx, header, "header", procedure);
          assertUntouched(ctx, trailer, "trailer", procedure);
          return output;
        };
        const output = fn.call(impl, input, ctx);
        // Synchronous handlers stay synchronous: no promise of our own per call.
        return isPromiseLike(output) ? output.then(check) : check(output);
      };
    } else {
      guarded[method.localName] = (input: unknown, ctx: HandlerContext) => new GuardedStream(fn, impl, input, ctx, procedure);
    }
  }
  return guarded as Partial<ServiceImpl<S>>;
}

/**
 * A streaming handler's response stream with the reserved-metadata checks: the headers
 * before the first message (they leave with it; not before every message, which walked
 * them once per message of long streams), headers and trailers after the last. It behaves
 * as the async generator around `for await … yield` it replaces — the handler is called,
 * and the snapshots taken, on the first `next()`; the handler's stream is closed when a
 * check fails or the stream is closed early; once done it stays done — without that
 * generator's suspended frame, request queue and pending promise per open stream.
 */
class GuardedStream implements AsyncIterable<unknown>, AsyncIterator<unknown> {
  private source: AsyncIterator<unknown> | undefined = undefined;
  private done = false;
  private first = true;
  private header: string | ResponseMetadata = undefined;
  private trailer: string | ResponseMetadata = undefined;

  constructor(
    private readonly fn: (input: unknown, ctx: HandlerContext) => unknown,
    private readonly impl: unknown,
    private readonly input: unknown,
    private readonly ctx: HandlerContext,
    private readonly procedure: string,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  // Not async: a pending `then` keeps less alive than a suspended frame, and a response
  // stream waits in `next()` for as long as it is open.
  next(): Promise<IteratorResult<unknown>> {
    if (this.done) return Promise.resolve({ done: true, value: undefined });
    let pending: Promise<IteratorResult<unknown>>;
    try {
      if (this.source === undefined) {
        this.header = before(this.ctx, "header");
        this.trailer = before(this.ctx, "trailer");
        this.source = (this.fn.call(this.impl, this.input, this.ctx) as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      }
      pending = Promise.resolve(this.source.next());
    } catch (error) {
      this.done = true;
      return Promise.reject(error);
    }
    return pending.then(
      (result) => this.checked(result),
      (error: unknown) => {
        this.done = true;
        throw error;
      },
    );
  }

  /** What a result of the handler's stream becomes: the checks of the loop around `yield`. */
  private checked(result: IteratorResult<unknown>): IteratorResult<unknown> | Promise<IteratorResult<unknown>> {
    const { ctx, procedure } = this;
    if (result.done === true) {
      this.done = true;
      assertUntouched(ctx, this.header, "header", procedure);
      assertUntouched(ctx, this.trailer, "trailer", procedure);
      return { done: true, value: undefined };
    }
    try {
      if (this.first) {
        this.first = false;
        assertUntouched(ctx, this.header, "header", procedure);
      }
    } catch (error) {
      return this.failed(error);
    }
    // A generator's `yield` awaits what it yields.
    if (isPromiseLike(result.value)) {
      return Promise.resolve(result.value).then(
        (value) => ({ done: false, value }),
        (error: unknown) => this.failed(error),
      );
    }
    return { done: false, value: result.value };
  }

  /** As `for await` leaving its loop by a throw: the handler's stream is closed first. */
  private async failed(error: unknown): Promise<never> {
    this.done = true;
    await closeAfterThrow(this.source!);
    throw error;
  }

  async return(value?: unknown): Promise<IteratorResult<unknown>> {
    // Not started: the handler never runs, as a generator closed before its first `next()`.
    if (!this.done && this.source !== undefined) {
      this.done = true;
      await this.source.return?.();
    }
    this.done = true;
    return { done: true, value };
  }

  async throw(error?: unknown): Promise<IteratorResult<unknown>> {
    // As a generator paused at `yield` inside `for await`: the handler's stream is closed, then the error rises.
    if (!this.done && this.source !== undefined) await closeAfterThrow(this.source);
    this.done = true;
    throw error;
  }
}

/** `for await`'s close on a throw: the iterator's `return()` is awaited, its own failure ignored. */
async function closeAfterThrow(source: AsyncIterator<unknown>): Promise<void> {
  try {
    await source.return?.();
  } catch {
    // The error that left the loop wins.
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

/**
 * A router that registers through `router` with {@link guardReservedMetadata} around every
 * implementation, so that no service registered on it can set reserved metadata.
 */
export function guardRouter(router: ConnectRouter): ConnectRouter {
  const guarded: ConnectRouter = {
    get handlers() {
      return router.handlers;
    },
    service(service, implementation, options) {
      router.service(service, guardReservedMetadata(service, implementation), options);
      return guarded;
    },
    rpc(method, impl, options) {
      const wrapped = guardReservedMetadata(method.parent, { [method.localName]: impl } as never) as Record<string, unknown>;
      router.rpc(method, wrapped[method.localName] as typeof impl, options);
      return guarded;
    },
  };
  return guarded;
}
