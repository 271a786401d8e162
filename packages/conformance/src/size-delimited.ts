/**
 * Reads the runner's size-delimited messages: each a 4-byte big-endian length, then that
 * many bytes (configuring_and_running_tests.md). Yields each message's bytes as it is
 * complete; throws when the stream ends inside a message.
 */
export async function* readSizeDelimited(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let buffered: Uint8Array = new Uint8Array(0);
  for await (const chunk of input) {
    buffered = concat(buffered, chunk);
    for (;;) {
      if (buffered.byteLength < 4) break;
      const size = new DataView(buffered.buffer, buffered.byteOffset, 4).getUint32(0);
      if (buffered.byteLength < 4 + size) break;
      yield buffered.slice(4, 4 + size);
      buffered = buffered.subarray(4 + size);
    }
  }
  if (buffered.byteLength > 0) {
    throw new Error(`input ended inside a size-delimited message (${buffered.byteLength} bytes left)`);
  }
}

/** Frames one message for the runner: its 4-byte big-endian length, then its bytes. */
export function writeSizeDelimited(message: Uint8Array): Uint8Array {
  const framed = new Uint8Array(4 + message.byteLength);
  new DataView(framed.buffer).setUint32(0, message.byteLength);
  framed.set(message, 4);
  return framed;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b;
  const joined = new Uint8Array(a.byteLength + b.byteLength);
  joined.set(a);
  joined.set(b, a.byteLength);
  return joined;
}
