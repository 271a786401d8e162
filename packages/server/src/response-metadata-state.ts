import type { HandlerContext } from "@connectrpc/connect";

/**
 * Symbol of a handler context's optional method that returns its response headers or
 * trailers if anything created them, and their initial values (a plain record, never
 * changed, or undefined) if nothing did — without creating them. The fast path's calls
 * have it: there, a `Headers` object is made only when something asks for one.
 */
export const peekResponseMetadata = Symbol("hello-rpc peek response metadata");

/** Response headers or trailers as {@link responseMetadataOf} returns them. */
export type ResponseMetadata = Headers | Readonly<Record<string, string>> | undefined;

/** A context with the {@link peekResponseMetadata} method. */
export interface ResponseMetadataPeekable {
  [peekResponseMetadata](which: "header" | "trailer"): ResponseMetadata;
}

/**
 * A context's response headers or trailers: the `Headers` object if there is one, else
 * their untouched initial values (see {@link peekResponseMetadata}). For contexts without
 * the method (connect's), always the `Headers` object.
 */
export function responseMetadataOf(ctx: HandlerContext, which: "header" | "trailer"): ResponseMetadata {
  const peek = (ctx as Partial<ResponseMetadataPeekable>)[peekResponseMetadata];
  if (peek !== undefined) return peek.call(ctx, which);
  return which === "header" ? ctx.responseHeader : ctx.responseTrailer;
}
