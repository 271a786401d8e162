import type { HandlerContext } from "@connectrpc/connect";

/**
 * Symbol of a handler context's optional method, for the reserved-metadata guard: it
 * returns the initial values of the response headers or trailers (a plain record, never
 * changed, or undefined) while their reserved (`grpc-`) entries are still exactly those —
 * nothing created the `Headers`, or nothing wrote a reserved key to it since — and the
 * `Headers` object otherwise, without creating it. The fast path's calls have it: there,
 * a `Headers` object is made only when something asks for one, and it knows whether a
 * reserved key was written (so the guard compares nothing on a call that wrote none).
 */
export const peekResponseMetadata = Symbol("hello-rpc peek response metadata");

/** Response headers or trailers as {@link responseMetadataOf} returns them. */
export type ResponseMetadata = Headers | Readonly<Record<string, string>> | undefined;

/** A context with the {@link peekResponseMetadata} method. */
export interface ResponseMetadataPeekable {
  [peekResponseMetadata](which: "header" | "trailer"): ResponseMetadata;
}

/**
 * A context's response headers or trailers as the reserved-metadata guard compares them:
 * their initial values while the reserved entries are those, else the `Headers` object
 * (see {@link peekResponseMetadata}). For contexts without the method (connect's), always
 * the `Headers` object.
 */
export function responseMetadataOf(ctx: HandlerContext, which: "header" | "trailer"): ResponseMetadata {
  const peek = (ctx as Partial<ResponseMetadataPeekable>)[peekResponseMetadata];
  if (peek !== undefined) return peek.call(ctx, which);
  return which === "header" ? ctx.responseHeader : ctx.responseTrailer;
}
