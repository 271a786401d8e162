/**
 * A plain `Uint8Array` of `n` bytes that no one else sees — what connect's
 * `new Uint8Array(n)` copies of a request message are — but in memory V8 keeps outside
 * its heap. protobuf-es reads a message through a `DataView` on `bytes.buffer`, and
 * asking a small `new Uint8Array(n)` for its buffer makes V8 move it off its heap first
 * (about 0.5 µs a call). Node's buffer pool is off-heap already; the view is a plain
 * `Uint8Array` (not a `Buffer`), so `bytes` fields parsed from it are too.
 */
export function detachedBytes(n: number): Uint8Array {
  const pooled = Buffer.allocUnsafe(n);
  return new Uint8Array(pooled.buffer, pooled.byteOffset, n);
}
