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

  /**
   * Adds a chunk; returns the envelopes it completed. Throws connect's error for an
   * oversized one, after which the reader is done (the call fails; nothing more is read).
   */
  decode(chunk: Uint8Array): Envelope[] {
    const envelopes: Envelope[] = [];
    if (this.buffered === 0 && this.length < 0) {
      // Nothing carried over (the usual case: a small request arrives in one chunk): whole
      // envelopes are read straight from the chunk, without queueing it; the rest, if
      // any, takes the general path below.
      const at = this.readWhole(chunk, envelopes);
      if (at === chunk.byteLength) return envelopes;
      if (at > 0) chunk = chunk.subarray(at);
    }
    if (chunk.byteLength > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.byteLength;
    }
    for (;;) {
      if (this.length < 0) {
        if (this.buffered < 5) break;
        const flags = this.byteAt(0);
        const length = ((this.byteAt(1) << 24) | (this.byteAt(2) << 16) | (this.byteAt(3) << 8) | this.byteAt(4)) >>> 0;
        this.skip(5);
        if (length > this.readMaxBytes) throw oversized(length, this.readMaxBytes);
        this.flags = flags;
        this.length = length;
      }
      if (this.buffered < this.length) break;
      envelopes.push({ flags: this.flags, data: this.take(this.length) });
      this.length = -1;
    }
    return envelopes;
  }

  /**
   * Reads the envelopes that lie whole in `chunk`, from its start, into `envelopes`;
   * returns the offset of the first byte not read. An oversized length fails as soon as
   * its header is complete, as in the general path.
   */
  private readWhole(chunk: Uint8Array, envelopes: Envelope[]): number {
    let at = 0;
    const end = chunk.byteLength;
    while (end - at >= 5) {
      const length = ((chunk[at + 1]! << 24) | (chunk[at + 2]! << 16) | (chunk[at + 3]! << 8) | chunk[at + 4]!) >>> 0;
      if (length > this.readMaxBytes) throw oversized(length, this.readMaxBytes);
      if (end - at - 5 < length) break;
      const data = detachedBytes(length);
      data.set(chunk.subarray(at + 5, at + 5 + length));
      envelopes.push({ flags: chunk[at]!, data });
      at += 5 + length;
    }
    return at;
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

/** connect's `assertReadMaxBytes(readMaxBytes, length, true)` error. */
function oversized(length: number, readMaxBytes: number): ConnectError {
  return new ConnectError(`message size ${length} is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted);
}
