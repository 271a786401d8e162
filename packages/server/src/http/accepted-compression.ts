import { Code, ConnectError } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";

/**
 * The request compressions the server accepts: connect-node's gzip and brotli, except that
 * a body that fails to decompress is INVALID_ARGUMENT on every protocol.
 *
 * Why: connect-node maps only some zlib errors (Z_DATA_ERROR, brotli format errors) to
 * INVALID_ARGUMENT and the rest — a truncated body (Z_BUF_ERROR), or any error when the
 * zlib error fails its `instanceof Error` check — to INTERNAL, a server fault that pages
 * someone. The bytes came from the client: connect-go answers every decompression failure
 * with INVALID_ARGUMENT, and so does this. (The gRPC spec leaves the code open; grpc-go and
 * grpc-core answer INTERNAL, which this server's clients cannot tell from a bug.) A message
 * over the read limit once decompressed stays RESOURCE_EXHAUSTED.
 */
export const acceptedCompression: readonly Compression[] = [compressionGzip, compressionBrotli].map(
  (compression): Compression => ({
    name: compression.name,
    compress: (bytes) => compression.compress(bytes),
    decompress: (bytes, readMaxBytes) =>
      compression.decompress(bytes, readMaxBytes).catch((error: unknown) => {
        // zlib's code read by hand: connect-node's check of it fails for errors from another realm (jest's vm).
        const cause = error instanceof ConnectError ? error.cause : error;
        if ((cause as { code?: unknown } | undefined)?.code === "ERR_BUFFER_TOO_LARGE") {
          throw new ConnectError(
            `message is larger than configured readMaxBytes ${readMaxBytes} after decompression`,
            Code.ResourceExhausted,
            undefined,
            undefined,
            error,
          );
        }
        throw new ConnectError(`${compression.name} decompression failed`, Code.InvalidArgument, undefined, undefined, error);
      }),
  }),
);
