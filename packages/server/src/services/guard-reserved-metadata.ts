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
      guarded[method.localName] = async function* (input: unknown, ctx: HandlerContext) {
        const header = before(ctx, "header");
        const trailer = before(ctx, "trailer");
        let first = true;
        for await (const output of fn.call(impl, input, ctx) as AsyncIterable<unknown>) {
          // Headers leave with the first message: check them before it. (Not before every
          // message: that walked the headers once per message of long streams.)
          if (first) {
            assertUntouched(ctx, header, "header", procedure);
            first = false;
          }
          yield output;
        }
        assertUntouched(ctx, header, "header", procedure);
        assertUntouched(ctx, trailer, "trailer", procedure);
      };
    }
  }
  return guarded as Partial<ServiceImpl<S>>;
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
