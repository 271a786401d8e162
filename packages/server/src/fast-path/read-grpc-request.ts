import type * as http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { compressedFlag } from "@connectrpc/connect/protocol";
import { EnvelopeReader } from "./envelope-reader.js";

/** Where {@link readGrpcRequest} puts a request's messages: the queue the implementation reads. */
export interface RequestMessageSink<T> {
  /** True once ended: nothing more goes in. */
  readonly ended: boolean;
  /** Takes one parsed message and the size of its envelope in bytes. */
  push(message: T, envelopeBytes: number): void;
  /** Ends the messages: normally (`undefined`), or with the error reading the request met. */
  end(error: unknown): void;
}

/** Options of {@link readGrpcRequest}. */
export interface ReadGrpcRequestOptions<T> {
  /** Largest request message in bytes; a larger envelope ends the messages with connect's error. */
  readMaxBytes: number;
  /** The method's request parser. */
  input: { parse(data: Uint8Array): T };
  /**
   * Messages after which nothing more is read: the stream is paused and the messages end
   * normally. Default: no limit.
   */
  maxMessages?: number;
}

/**
 * Reads a gRPC request body from an HTTP/2 stream into `sink` as it arrives, as connect's
 * gRPC handler reads it: split into envelopes, a compressed one refused, each parsed; the
 * end of the body ends the messages (with InvalidArgument when an envelope was cut
 * short). The client's RST_STREAM or departure before the end ends them with CANCELED:
 * Node then emits 'aborted' and 'end', which must not read as the request's normal end.
 * Returns `stop(error)`, which ends the messages (once) and, for an error, stops reading,
 * as connect-node does.
 */
export function readGrpcRequest<T>(
  stream: http2.ServerHttp2Stream,
  sink: RequestMessageSink<T>,
  options: ReadGrpcRequestOptions<T>,
): (error: unknown) => void {
  const reader = new EnvelopeReader(options.readMaxBytes);
  const { input } = options;
  const maxMessages = options.maxMessages ?? Number.POSITIVE_INFINITY;
  let read = 0;
  const stop = (error: unknown) => {
    if (sink.ended) return;
    sink.end(error);
    if (error !== undefined) stream.pause();
  };

  stream.on("data", (chunk: Buffer) => {
    if (sink.ended) return;
    try {
      for (const envelope of reader.decode(chunk)) {
        // connect: transformDecompressEnvelope, then transformParseEnvelope.
        if ((envelope.flags & compressedFlag) === compressedFlag) {
          throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
        }
        sink.push(input.parse(envelope.data), envelope.data.byteLength + 5);
        if (++read === maxMessages) {
          stream.pause();
          sink.end(undefined);
          return;
        }
      }
    } catch (error) {
      stop(error);
    }
  });
  stream.once("aborted", () => stop(new ConnectError("the client cancelled the request stream", Code.Canceled)));
  stream.on("end", () => {
    stop(reader.pendingBytes > 0 ? new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument) : undefined);
  });
  // The client left before its request ended: what reading the body would have met.
  stream.once("close", () => stop(new ConnectError("the client closed the request stream", Code.Canceled)));
  return stop;
}
