/**
 * The request stream of a server-streaming call as the interceptors and the implementation
 * read it, fed as envelopes are parsed (see serveGrpcServerStream): the messages, then the
 * end of the body or the error reading it met. Its own iterator, shared by whoever asks
 * (connect's request stream is one async generator too), and an iterator object rather
 * than an async generator, whose frame a call would keep for as long as it is open; like a
 * generator, it stays done once it has ended, failed or been closed.
 */
export class RequestMessages<T> implements AsyncIterable<T>, AsyncIterator<T> {
  /** Whether the end of the body (or its error) has been queued. */
  ended = false;
  private readonly items: T[] = [];
  private error: unknown = undefined;
  /** Whether a reader has met the end (or the error), or closed the stream. */
  private finished = false;
  private wake: (() => void) | undefined = undefined;

  /** Queues a message. */
  push(item: T): void {
    this.items.push(item);
    this.notify();
  }

  /** Ends the messages: normally (`undefined`) or with the error reading the request met. */
  end(error: unknown): void {
    this.ended = true;
    this.error = error;
    this.notify();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.finished) return Promise.resolve({ done: true, value: undefined });
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve({ done: false, value: item });
    if (this.ended) {
      this.finished = true;
      return this.error !== undefined ? Promise.reject(this.error) : Promise.resolve({ done: true, value: undefined });
    }
    return new Promise<void>((resolve) => {
      // Readers asking at once are answered in turn, as a generator's queued requests are.
      const earlier = this.wake;
      this.wake =
        earlier === undefined
          ? resolve
          : () => {
              earlier();
              resolve();
            };
    }).then(() => this.next());
  }

  return(value?: unknown): Promise<IteratorResult<T>> {
    this.finished = true;
    return Promise.resolve({ done: true, value: value as T });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.finished = true;
    return Promise.reject(error);
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
