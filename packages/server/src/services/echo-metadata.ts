import type { HandlerContext } from "@connectrpc/connect";

/** Request headers with this prefix are sent back as response headers (ASCII and `-bin`). */
export const ECHO_PREFIX = "x-echo-";

/**
 * Copies every `x-echo-*` request header to the response headers, unchanged: binary
 * (`-bin`) values travel base64-encoded on the wire both ways, so they round-trip byte for
 * byte. It lets clients and examples observe metadata handling end to end.
 */
export function echoMetadata(ctx: HandlerContext): void {
  ctx.requestHeader.forEach((value, key) => {
    if (key.startsWith(ECHO_PREFIX)) {
      ctx.responseHeader.set(key, value);
    }
  });
}
