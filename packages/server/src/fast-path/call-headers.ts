import type * as http2 from "node:http2";
import { inspect } from "node:util";

/** RFC 9110 token characters: what a header name may consist of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** The prefix of the metadata keys that belong to the gRPC protocol (see {@link CallHeaders.reservedWritten}). */
const RESERVED_PREFIX = "grpc-";
/** Leading and trailing HTTP whitespace, which `Headers` strips from values. */
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;
/** What a header value may not contain once trimmed; code points above 0xFF are checked apart. */
const FORBIDDEN_IN_VALUE = /[\0\r\n]/;

/**
 * A `Headers` for the fast path's calls: the WHATWG `Headers` behaviour handlers and
 * interceptors rely on (case-insensitive names, validation with the same TypeErrors,
 * values combined with ", ", set-cookie kept apart, iteration sorted by name), on a plain
 * `Map`. undici's `Headers` costs ~1 µs for five appends and one `forEach` (WebIDL
 * conversions, a sorted copy per iteration); a call makes three of them and walks each
 * twice or more, which was the largest single cost of the fast path after `node:http2`
 * itself. Written by hand because no library offers a faster drop-in `Headers`.
 *
 * Its prototype chain runs through `Headers.prototype`, so that `instanceof Headers` holds
 * and `new Headers(h)`, `fetch(url, { headers: h })` and connect's helpers accept it; every
 * method is its own, so undici's state is never needed — and never built: the class does
 * not `extend Headers` (that would run undici's constructor, a WebIDL-checked
 * `HeadersList`, three times per call) but is linked to it below.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface below only types the Headers prototype the class is linked to; the class defines every member.
export class CallHeaders {
  /** Lower-case name → combined value (set-cookie not included). */
  private readonly map = new Map<string, string>();
  private cookies: string[] | undefined = undefined;
  private sorted: [string, string][] | undefined = undefined;
  /** The names in `map`, sorted; unlike `sorted`, kept when only a value changes. */
  private names: string[] | undefined = undefined;
  /**
   * Whether `append`, `set` or `delete` was called with a reserved (`grpc-`) name since the
   * object was made: until then its reserved entries are those it was made with. The
   * reserved-metadata guard reads it to skip comparing snapshots on every call.
   */
  reservedWritten = false;

  constructor(init?: Readonly<Record<string, string>>) {
    if (init !== undefined) for (const name in init) this.set(name, init[name] as string);
  }

  /**
   * Headers from a literal the server built itself (connect's initial response headers and
   * trailers: lower-case names, valid values), taken without the checks `set` makes on
   * what handlers pass: this runs twice per call.
   */
  static fromTrusted(init: Readonly<Record<string, string>> | undefined): CallHeaders {
    const headers = new CallHeaders();
    if (init !== undefined) for (const name in init) headers.put(name, init[name] as string);
    return headers;
  }

  /**
   * Request headers as connect-node converts Node's (`nodeHeaderToWebHeader`):
   * pseudo-headers skipped, repeated values appended one by one. Node has already
   * validated and lower-cased them, so they are taken as they are.
   */
  static fromNode(nodeHeaders: http2.IncomingHttpHeaders): CallHeaders {
    const headers = new CallHeaders();
    const keys = Object.keys(nodeHeaders);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      if (key.charCodeAt(0) === 58 /* ":" */) continue;
      const value = nodeHeaders[key];
      if (value === undefined) continue;
      // Node gives each name once (repeats joined, set-cookie as an array): a plain string
      // needs no merge with an earlier value.
      if (typeof value === "string") {
        if (key === "set-cookie") headers.put(key, trimmed(value));
        else headers.map.set(key, trimmed(value));
      } else if (typeof value === "number") headers.put(key, String(value));
      else for (const v of value) headers.put(key, trimmed(v));
    }
    return headers;
  }

  /**
   * Copies the headers into a Node headers object as connect-node's
   * `webHeaderToNodeHeaders` would (values combined, set-cookie as an array), in insertion
   * order rather than sorted: the order of header fields carries no meaning, and this runs
   * for every response.
   */
  copyInto(out: Record<string, string | string[] | number | undefined>): void {
    for (const [key, value] of this.map) out[key] = value;
    if (this.cookies !== undefined) out["set-cookie"] = this.cookies.length === 1 ? this.cookies[0] : [...this.cookies];
  }

  append(name: string, value: string): void {
    const key = nameOf(name, "append");
    const normalized = headerValueOf(value, "append");
    this.noteWrite(key);
    this.put(key, normalized);
  }

  set(name: string, value: string): void {
    const key = nameOf(name, "set");
    const normalized = headerValueOf(value, "set");
    this.noteWrite(key);
    this.sorted = undefined;
    if (key === "set-cookie") this.cookies = [normalized];
    else {
      if (!this.map.has(key)) this.names = undefined;
      this.map.set(key, normalized);
    }
  }

  get(name: string): string | null {
    const key = nameOf(name, "get");
    if (key === "set-cookie") return this.cookies === undefined ? null : this.cookies.join(", ");
    return this.map.get(key) ?? null;
  }

  has(name: string): boolean {
    const key = nameOf(name, "has");
    return key === "set-cookie" ? this.cookies !== undefined : this.map.has(key);
  }

  delete(name: string): void {
    const key = nameOf(name, "delete");
    this.noteWrite(key);
    this.sorted = undefined;
    if (key === "set-cookie") this.cookies = undefined;
    else if (this.map.delete(key)) this.names = undefined;
  }

  getSetCookie(): string[] {
    return this.cookies === undefined ? [] : [...this.cookies];
  }

  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    // By index over the current list, as undici: a callback's changes show in later steps.
    let i = 0;
    // The usual case, without building pairs: names sorted (cached), values looked up;
    // a set-cookie added by a callback moves the rest of the walk to the pairs below.
    for (; this.cookies === undefined && i < this.sortedNames().length; i++) {
      const key = this.sortedNames()[i] as string;
      callback.call(thisArg, this.map.get(key) as string, key, this);
    }
    // Walked to the end without a set-cookie: nothing is left, and building the pairs to
    // find that out would cost more than the walk.
    if (this.cookies === undefined) return;
    for (; i < this.pairs().length; i++) {
      const [key, value] = this.pairs()[i] as [string, string];
      callback.call(thisArg, value, key, this);
    }
  }

  entries(): HeadersIterator<[string, string]> {
    return live(this, (pair): [string, string] => [pair[0], pair[1]]) as unknown as HeadersIterator<[string, string]>;
  }

  keys(): HeadersIterator<string> {
    return live(this, (pair) => pair[0]) as unknown as HeadersIterator<string>;
  }

  values(): HeadersIterator<string> {
    return live(this, (pair) => pair[1]) as unknown as HeadersIterator<string>;
  }

  [Symbol.iterator](): HeadersIterator<[string, string]> {
    return this.entries();
  }

  /** As undici's, so logs and test failures show the contents. */
  [inspect.custom](): string {
    return `CallHeaders ${inspect(Object.fromEntries(this.pairs()))}`;
  }

  /** Notes a write to `key` (valid, lower case) for {@link CallHeaders.reservedWritten}. */
  private noteWrite(key: string): void {
    if (!this.reservedWritten && key.startsWith(RESERVED_PREFIX)) this.reservedWritten = true;
  }

  /** Appends an already valid, lower-case name and normalized value. */
  private put(key: string, value: string): void {
    this.sorted = undefined;
    if (key === "set-cookie") {
      (this.cookies ??= []).push(value);
      return;
    }
    const existing = this.map.get(key);
    if (existing === undefined) this.names = undefined;
    // As undici's HeadersList: repeated values joined with ", ", but cookie with "; ".
    this.map.set(key, existing === undefined ? value : `${existing}${key === "cookie" ? "; " : ", "}${value}`);
  }

  private sortedNames(): string[] {
    if (this.names === undefined) {
      // Insertion sort: a call's headers are a handful of names, where this beats
      // `Array.prototype.sort` (same order: by UTF-16 code unit, i.e. byte, for names).
      // Made at its final length: an array grown from empty reserves room for 17 names,
      // which the call keeps for as long as it is open.
      const names = new Array<string>(this.map.size);
      let count = 0;
      for (const key of this.map.keys()) {
        let i = count++;
        while (i > 0 && (names[i - 1] as string) > key) {
          names[i] = names[i - 1] as string;
          i--;
        }
        names[i] = key;
      }
      this.names = names;
    }
    return this.names;
  }

  /** The "sort and combine" list of the Fetch standard, cached until the next change. */
  pairs(): readonly (readonly [string, string])[] {
    if (this.sorted === undefined) {
      const keys = [...this.sortedNames()];
      if (this.cookies !== undefined) {
        keys.push("set-cookie");
        keys.sort();
      }
      const pairs: [string, string][] = [];
      for (const key of keys) {
        if (key === "set-cookie") for (const cookie of this.cookies ?? []) pairs.push([key, cookie]);
        else pairs.push([key, this.map.get(key) as string]);
      }
      this.sorted = pairs;
    }
    return this.sorted;
  }
}

// `instanceof Headers`, Headers' constants and anything else on its prototype, without its constructor.
Object.setPrototypeOf(CallHeaders.prototype, Headers.prototype);
/** A `Headers` by its prototype chain (see above); every member of the interface is CallHeaders' own. */
export interface CallHeaders extends Headers {}

/** The iterator of `entries()`, `keys()` and `values()`: live, by index, like undici's. */
function* live<T>(headers: CallHeaders, pick: (pair: readonly [string, string]) => T): Generator<T, undefined> {
  for (let i = 0; i < headers.pairs().length; i++) yield pick(headers.pairs()[i] as readonly [string, string]);
  return undefined;
}

function nameOf(name: string, method: string): string {
  const text = String(name);
  if (!TOKEN.test(text)) throw new TypeError(`Headers.${method}: "${text}" is an invalid header name.`);
  return text.toLowerCase();
}

/** The value without leading and trailing HTTP whitespace (the regular expression only when there is some). */
function trimmed(value: string): string {
  if (value.length === 0) return value;
  return isEdgeWhitespace(value.charCodeAt(0)) || isEdgeWhitespace(value.charCodeAt(value.length - 1))
    ? value.replace(EDGE_WHITESPACE, "")
    : value;
}

function isEdgeWhitespace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

function headerValueOf(value: string, method: string): string {
  const text = String(value);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 255) {
      throw new TypeError(
        `Cannot convert argument to a ByteString because the character at index ${i} has a value of ${code} which is greater than 255.`,
      );
    }
  }
  const normalized = trimmed(text);
  if (FORBIDDEN_IN_VALUE.test(normalized)) throw new TypeError(`Headers.${method}: "${normalized}" is an invalid header value.`);
  return normalized;
}
