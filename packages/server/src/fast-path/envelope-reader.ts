import { Code, ConnectError } from "@connectrpc/connect";
import { detachedBytes } from "./detached-bytes.js";

/** One gRPC length-prefixed message: its flags byte and its bytes. */
export interface Envelope {
  flags: number;
  data: Uint8Array;
}

/**
 * Splits a request body into gRPC envelopes as they arrive, exactly as connect's
 * `EnvelopeDecoder` does: the 5-byte header is read as soon as it is complete and a
 * length over `readMaxBytes` fails at once (RESOURCE_EXHAUSTED, before the message is
 * buffered); a message is taken when all its bytes are there, copied into its own
 * `Uint8Array`. {@link pendingBytes} is connect's `byteLength`: bytes received but not yet
 * taken — which does not count a header already taken whose message never came, so the
 * end-of-body checks come out as connect's.
 */
export class EnvelopeReader {
  private chunks: Uint8Array[] = [];
  /** Bytes in `chunks` not yet taken. */
  private buffered = 0;
  /** Offset into `chunks[0]` of the first byte not yet taken. */
  private offset = 0;
  /** The flags and length of the envelope whose header was taken, or -1. */
  private flags = 0;
  private length = -1;

  constructor(private readonly readMaxBytes: number) {}

  /** Bytes received and not yet part of a taken header or message. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Adds a chunk; returns the envelopes it completed. Throws connect's error for an oversized one. */
  decode(chunk: Uint8Array): Envelope[] {
    if (chunk.byteLength > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.byteLength;
    }
    const envelopes: Envelope[] = [];
    for (;;) {
      if (this.length < 0) {
        if (this.buffered < 5) break;
        const flags = this.byteAt(0);
        const length = ((this.byteAt(1) << 24) | (this.byteAt(2) << 16) | (this.byteAt(3) << 8) | this.byteAt(4)) >>> 0;
        this.skip(5);
        if (length > this.readMaxBytes) {
          // connect's assertReadMaxBytes(readMaxBytes, length, true)
          throw new ConnectError(
            `message size ${length} is larger than configured readMaxBytes ${this.readMaxBytes}`,
            Code.ResourceExhausted,
          );
        }
        this.flags = flags;
        this.length = length;
      }
      if (this.buffered < this.length) break;
      envelopes.push({ flags: this.flags, data: this.take(this.length) });
      this.length = -1;
    }
    return envelopes;
  }

  private byteAt(index: number): number {
    let i = this.offset + index;
    for (const chunk of this.chunks) {
      if (i < chunk.byteLength) return chunk[i] ?? 0;
      i -= chunk.byteLength;
    }
    return 0;
  }

  private skip(n: number): void {
    this.buffered -= n;
    let left = n;
    while (left > 0) {
      const first = this.chunks[0];
      if (first === undefined) break;
      const available = first.byteLength - this.offset;
      if (available > left) {
        this.offset += left;
        return;
      }
      left -= available;
      this.chunks.shift();
      this.offset = 0;
    }
  }

  private take(n: number): Uint8Array {
    const data = detachedBytes(n);
    let filled = 0;
    while (filled < n) {
      const first = this.chunks[0];
      if (first === undefined) break;
      const part = Math.min(first.byteLength - this.offset, n - filled);
      data.set(first.subarray(this.offset, this.offset + part), filled);
      filled += part;
      this.skip(part);
    }
    return data;
  }
}

