import type { IncomingHttpHeaders } from "node:http2";

/**
 * Web `Headers` of Node's incoming headers (pseudo-headers left out), filled on first use.
 * Most successful calls never read their response headers or trailers, and filling a
 * `Headers` validates and stores every field: this defers that work to the first method
 * called, if any. The object is a real `Headers` (`instanceof`, copies, iteration).
 *
 * @example
 * const header = lazyHeaders({ ":status": 200, "content-type": "application/grpc" });
 * header.get("content-type"); // "application/grpc"
 */
export function lazyHeaders(incoming: IncomingHttpHeaders): Headers {
  return new LazyHeaders(incoming);
}

class LazyHeaders extends Headers {
  #incoming: IncomingHttpHeaders | undefined;

  constructor(incoming: IncomingHttpHeaders) {
    super();
    this.#incoming = incoming;
  }

  #fill(): void {
    const incoming = this.#incoming;
    if (incoming === undefined) return;
    this.#incoming = undefined;
    for (const key in incoming) {
      if (key.charCodeAt(0) === 58 /* : */) continue;
      const value = incoming[key];
      if (Array.isArray(value)) for (const v of value) super.append(key, v);
      else if (value !== undefined) super.append(key, value);
    }
  }

  override append(name: string, value: string): void {
    this.#fill();
    super.append(name, value);
  }

  override delete(name: string): void {
    this.#fill();
    super.delete(name);
  }

  override get(name: string): string | null {
    this.#fill();
    return super.get(name);
  }

  override getSetCookie(): string[] {
    this.#fill();
    return super.getSetCookie();
  }

  override has(name: string): boolean {
    this.#fill();
    return super.has(name);
  }

  override set(name: string, value: string): void {
    this.#fill();
    super.set(name, value);
  }

  override forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    this.#fill();
    super.forEach(callback, thisArg);
  }

  override keys(): HeadersIterator<string> {
    this.#fill();
    return super.keys();
  }

  override values(): HeadersIterator<string> {
    this.#fill();
    return super.values();
  }

  override entries(): HeadersIterator<[string, string]> {
    this.#fill();
    return super.entries();
  }

  override [Symbol.iterator](): HeadersIterator<[string, string]> {
    this.#fill();
    return super[Symbol.iterator]();
  }
}
