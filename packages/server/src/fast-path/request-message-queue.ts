/** What a {@link RequestMessageQueue} asks of the request it is fed from. */
export interface RequestFlow {
  /** Stop reading the request (its HTTP/2 flow-control window then closes). */
  pause(): void;
  /** Read the request again. */
  resume(): void;
}

/**
 * The request messages of a client-streaming or bidi call, as the interceptors and the
 * implementation read them (`req.message`): fed as envelopes are parsed, then ended by the
 * end of the body or the error reading it met, which a reader meets after the messages
 * before it — as connect's request pipeline delivers them.
 *
 * Backpressure: when the reader falls behind by {@link HIGH_WATER_MESSAGES} messages or
 * {@link HIGH_WATER_BYTES} bytes the request is paused, and it is read again once the
 * reader has taken everything queued, so a handler that does not read keeps the client's
 * flow-control window closed instead of the server buffering its messages.
 *
 * One iterator, shared by whoever asks: connect's request stream is one async generator too.
 */
export class RequestMessageQueue<T> implements AsyncIterable<T>, AsyncIterator<T> {
  /** Whether the request's end (or its error) has been queued. */
  ended = false;
  private items: T[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytes = 0;
  private paused = false;
  private error: unknown = undefined;
  private waiters: ((result: IteratorResult<T>) => void)[] = [];
  private failures: ((error: unknown) => void)[] = [];

  constructor(private readonly flow: RequestFlow) {}

  /** Queues a message of `size` bytes on the wire. */
  push(item: T, size: number): void {
    if (this.ended) return;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      this.failures.shift();
      waiter({ done: false, value: item });
      return;
    }
    this.items.push(item);
    this.sizes.push(size);
    this.bytes += size;
    if (!this.paused && (this.items.length - this.head >= HIGH_WATER_MESSAGES || this.bytes >= HIGH_WATER_BYTES)) {
      this.paused = true;
      this.flow.pause();
    }
  }

  /** Ends the messages: normally (`undefined`) or with the error reading the request met. */
  end(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    const waiters = this.waiters;
    const failures = this.failures;
    this.waiters = [];
    this.failures = [];
    for (let i = 0; i < waiters.length; i++) {
      if (error === undefined) waiters[i]!({ done: true, value: undefined });
      else failures[i]!(error);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head] as T;
      this.bytes -= this.sizes[this.head] as number;
      this.head++;
      if (this.head === this.items.length) {
        // Drained: start over (keeps the arrays small) and read the request again.
        this.items = [];
        this.sizes = [];
        this.head = 0;
        this.bytes = 0;
        if (this.paused) {
          this.paused = false;
          if (!this.ended) this.flow.resume();
        }
      }
      return Promise.resolve({ done: false, value });
    }
    if (this.ended) return this.error === undefined ? Promise.resolve({ done: true, value: undefined }) : Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      if (this.waiters.length === 0) {
        // The usual one reader: arrays of exactly one, which an open call keeps (pushing
        // onto an empty array reserves room for 17).
        this.waiters = [resolve];
        this.failures = [reject];
      } else {
        this.waiters.push(resolve);
        this.failures.push(reject);
      }
    });
  }

  /** The reader is done with the messages (`break` out of `for await`): what is queued is dropped. */
  return(): Promise<IteratorResult<T>> {
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.bytes = 0;
    return Promise.resolve({ done: true, value: undefined });
  }
}

/** Messages a reader may fall behind by before the request is paused. */
export const HIGH_WATER_MESSAGES = 16;
/** Bytes of messages a reader may fall behind by before the request is paused. */
export const HIGH_WATER_BYTES = 64 * 1024;
