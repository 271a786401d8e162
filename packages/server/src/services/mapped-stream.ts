/**
 * A stream that maps every item of another, opened on the first `next()`, and is told how
 * many items it passed on once the source is exhausted: what
 *
 * ```ts
 * async function* mapped() {
 *   let count = 0;
 *   for await (const item of open()) { count++; yield map(item); }
 *   onEnd?.(count);
 * }
 * ```
 *
 * does, with the same order of effects (the source is opened on the first `next()`, not
 * at all when closed before it; it is closed when the stream is closed early; once done
 * the stream stays done), but as one iterator object: the generator's suspended frame,
 * request queue and pending `await` stayed alive for as long as a call was open.
 * Consumers call `next()` one at a time, as `for await` and connect's pipeline do.
 */
export class MappedStream<In, Out> implements AsyncIterable<Out>, AsyncIterator<Out> {
  private source: AsyncIterator<In> | undefined = undefined;
  private done = false;
  private count = 0;

  /**
   * @param open makes the source, on the first `next()` (the generator's body runs then).
   * @param map makes each item passed on.
   * @param onEnd is told the number of items once the source is exhausted (not when it
   *   fails or the stream is closed early).
   */
  constructor(
    private readonly open: () => AsyncIterable<In>,
    private readonly map: (item: In) => Out,
    private readonly onEnd?: (count: number) => void,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Out>> {
    if (this.done) return Promise.resolve({ done: true, value: undefined });
    let pending: Promise<IteratorResult<In>>;
    try {
      this.source ??= this.open()[Symbol.asyncIterator]();
      pending = Promise.resolve(this.source.next());
    } catch (error) {
      this.done = true;
      return Promise.reject(error);
    }
    return pending.then(
      (result) => this.passOn(result),
      (error: unknown) => {
        this.done = true;
        throw error;
      },
    );
  }

  async return(value?: unknown): Promise<IteratorResult<Out>> {
    // Closed while paused at `yield`: `for await` closes the source; before the first `next()` there is none.
    if (!this.done && this.source !== undefined) {
      this.done = true;
      await this.source.return?.();
    }
    this.done = true;
    return { done: true, value: value as Out };
  }

  async throw(error?: unknown): Promise<IteratorResult<Out>> {
    if (!this.done && this.source !== undefined) {
      this.done = true;
      try {
        await this.source.return?.();
      } catch {
        // `for await` left by a throw: that error wins over the source's.
      }
    }
    this.done = true;
    throw error;
  }

  private passOn(result: IteratorResult<In>): IteratorResult<Out> | Promise<IteratorResult<Out>> {
    if (result.done === true) {
      this.done = true;
      this.onEnd?.(this.count);
      return { done: true, value: undefined };
    }
    let value: Out;
    try {
      value = this.map(result.value);
    } catch (error) {
      return this.throw(error);
    }
    this.count++;
    // A generator's `yield` awaits what it yields.
    if (isPromiseLike(value))
      return Promise.resolve(value).then(
        (v) => ({ done: false, value: v }),
        (e: unknown) => this.throw(e),
      );
    return { done: false, value };
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}
