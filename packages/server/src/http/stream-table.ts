import type * as http2 from "node:http2";

/**
 * A map from HTTP/2 stream ids to streams with `Map`'s methods (but `Symbol.toStringTag`),
 * iterating in ascending id order — a `Map`'s insertion order for the client-opened streams
 * of a server session, whose ids only grow (pushed streams, with even ids, interleave;
 * Node's uses do not depend on the order).
 * Open addressing over two arrays: `set` and `delete` allocate nothing (but when the table
 * grows) and never replace the storage, unlike a `Map`, whose hash table V8 rebuilds
 * every few deletions and links to its successor.
 *
 * Why that matters: see {@link useStreamTable}. Keys that are not stream ids (not an
 * integer from 0 to 2^31 − 1) go to a real `Map`, so that the table stays a correct map
 * whatever it is given.
 */
export class StreamTable<V> implements Iterable<[number, V]> {
  // Slot i holds ids[i] → values[i]; EMPTY marks a free slot. At most half the slots are
  // used, so probes stay short; a stream id's home slot is id / 2 (client ids are odd and
  // consecutive, so streams opened one after another take consecutive slots).
  private ids: number[] = new Array<number>(MIN_CAPACITY).fill(EMPTY);
  private slotValues: (V | undefined)[] = new Array<V | undefined>(MIN_CAPACITY).fill(undefined);
  private mask = MIN_CAPACITY - 1;
  private count = 0;
  private others: Map<number, V> | undefined;

  get size(): number {
    return this.count + (this.others?.size ?? 0);
  }

  get(id: number): V | undefined {
    if (!isStreamId(id)) return this.others?.get(id);
    const slot = this.slotOf(id);
    return this.ids[slot] === id ? this.slotValues[slot] : undefined;
  }

  has(id: number): boolean {
    if (!isStreamId(id)) return this.others?.has(id) === true;
    return this.ids[this.slotOf(id)] === id;
  }

  set(id: number, value: V): this {
    if (!isStreamId(id)) {
      this.others ??= new Map();
      this.others.set(id, value);
      return this;
    }
    let slot = this.slotOf(id);
    if (this.ids[slot] !== id) {
      if ((this.count + 1) * 2 > this.ids.length) {
        this.resize(this.ids.length * 2);
        slot = this.slotOf(id);
      }
      this.ids[slot] = id;
      this.count++;
    }
    this.slotValues[slot] = value;
    return this;
  }

  delete(id: number): boolean {
    if (!isStreamId(id)) return this.others?.delete(id) === true;
    let hole = this.slotOf(id);
    if (this.ids[hole] !== id) return false;
    this.ids[hole] = EMPTY;
    this.slotValues[hole] = undefined;
    this.count--;
    // Backward-shift deletion (no tombstones): move each later entry of the probe run whose
    // home slot is not cyclically after the hole into the hole, so every entry stays
    // reachable from its home slot.
    const { ids, slotValues: entries, mask } = this;
    for (let slot = (hole + 1) & mask; ids[slot] !== EMPTY; slot = (slot + 1) & mask) {
      const home = homeSlot(ids[slot] as number, mask);
      const stays = hole <= slot ? hole < home && home <= slot : hole < home || home <= slot;
      if (stays) continue;
      ids[hole] = ids[slot] as number;
      entries[hole] = entries[slot];
      ids[slot] = EMPTY;
      entries[slot] = undefined;
      hole = slot;
    }
    return true;
  }

  clear(): void {
    this.ids = new Array<number>(MIN_CAPACITY).fill(EMPTY);
    this.slotValues = new Array<V | undefined>(MIN_CAPACITY).fill(undefined);
    this.mask = MIN_CAPACITY - 1;
    this.count = 0;
    this.others = undefined;
  }

  forEach(callback: (value: V, id: number, table: this) => void, thisArg?: unknown): void {
    // As a Map's forEach: an entry deleted before its turn is skipped, one added during
    // the walk is visited (stream ids only grow, so it comes after those already seen).
    // Node's session teardown relies on the first: destroying a stream deletes it.
    let last = -1;
    for (let ids = this.idsAfter(last); ids.length > 0; ids = this.idsAfter(last)) {
      for (const id of ids) {
        last = id;
        const slot = this.slotOf(id);
        if (this.ids[slot] === id) callback.call(thisArg, this.slotValues[slot] as V, id, this);
      }
    }
    this.others?.forEach((value, id) => callback.call(thisArg, value, id, this));
  }

  *entries(): IterableIterator<[number, V]> {
    for (const id of this.idsAfter(-1)) {
      const slot = this.slotOf(id);
      if (this.ids[slot] === id) yield [id, this.slotValues[slot] as V];
    }
    if (this.others) yield* this.others.entries();
  }

  *keys(): IterableIterator<number> {
    for (const [id] of this.entries()) yield id;
  }

  *values(): IterableIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[number, V]> {
    return this.entries();
  }

  /** The slot holding `id`, or the free slot where it would go. */
  private slotOf(id: number): number {
    const { ids, mask } = this;
    let slot = homeSlot(id, mask);
    while (ids[slot] !== id && ids[slot] !== EMPTY) slot = (slot + 1) & mask;
    return slot;
  }

  private resize(capacity: number): void {
    const { ids, slotValues: entries } = this;
    this.ids = new Array<number>(capacity).fill(EMPTY);
    this.slotValues = new Array<V | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (id === EMPTY) continue;
      const slot = this.slotOf(id);
      this.ids[slot] = id;
      this.slotValues[slot] = entries[i];
    }
  }

  /** The ids above `after` in the table, ascending. */
  private idsAfter(after: number): number[] {
    return this.ids.filter((id) => id !== EMPTY && id > after).sort((a, b) => a - b);
  }
}

/** The Node majors whose http2 internals {@link useStreamTable} was checked against. */
const FIRST_CHECKED_NODE = 20;
const LAST_CHECKED_NODE = 26;

/** Whether {@link useStreamTable} replaces stream maps on this Node: only on the majors it was checked against. */
export const STREAM_TABLE_NODE =
  Number(process.versions.node.split(".")[0]) >= FIRST_CHECKED_NODE && Number(process.versions.node.split(".")[0]) <= LAST_CHECKED_NODE;

const EMPTY = -1;
const MIN_CAPACITY = 16;

function homeSlot(id: number, mask: number): number {
  return (id >>> 1) & mask;
}

function isStreamId(id: unknown): id is number {
  return typeof id === "number" && Number.isInteger(id) && id >= 0 && id <= 0x7fffffff;
}

/**
 * Has node:http2 keep `session`'s open streams in a {@link StreamTable} instead of its
 * own `Map`, and returns true; returns false, changing nothing, when the session is not
 * shaped as Node 20–26 make it (an own symbol property described "state" holding an
 * empty `streams` map), already has streams, or runs on a Node major outside 20–26.
 *
 * Why: Node registers every stream of a session in one `Map` (`set` when it opens,
 * `delete` when it closes). With a handful of streams open and thousands opened per
 * second, V8 rebuilds that map's hash table every few calls, and a replaced table keeps
 * a link to its successor and its entries (for iterators that may still walk it). Once
 * one table in that chain is in the old generation — every long-lived session's table
 * gets there, e.g. when a full GC promotes it — each later table, and every stream and
 * call it held, survives young-generation collections and is promoted, until the next
 * full GC, which then comes sooner (docs/performance.md has the measurements). A grpc-js
 * or plain node:http2 server has the same chain.
 *
 * Node 20–26 call `get`, `set`, `delete`, `size` and `forEach` on the map as methods
 * (lib/internal/http2/core.js, the same eleven uses in 22.23, 24.22 and 26.12); the table
 * is a complete map, so other method calls would work too, but a Node that called
 * `Map.prototype` functions on it directly would fail. So it is used only on the Node
 * majors it was checked against, 20 to 26 (the tests run on each and fail if it is not
 * used there); on others sessions keep Node's map, and its GC cost.
 */
export function useStreamTable(session: http2.Http2Session): boolean {
  if (!STREAM_TABLE_NODE) return false;
  const stateKey = Object.getOwnPropertySymbols(session).find((key) => key.description === "state");
  if (stateKey === undefined) return false;
  const state = (session as unknown as Record<symbol, unknown>)[stateKey];
  if (typeof state !== "object" || state === null || !("streams" in state)) return false;
  const streams = (state as { streams: unknown }).streams;
  // Node's is a primordials `SafeMap`: a Map whose prototype chain does not reach `Map`.
  if (!isEmptyMap(streams)) return false;
  const table = new StreamTable<unknown>();
  (state as { streams: unknown }).streams = table;
  // A state object that ignores the write (frozen, or an accessor) keeps Node's map.
  return (state as { streams: unknown }).streams === table;
}

function isEmptyMap(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const map = value as Partial<Record<"get" | "set" | "delete" | "forEach", unknown>> & { size?: unknown };
  return (
    map.size === 0 &&
    typeof map.get === "function" &&
    typeof map.set === "function" &&
    typeof map.delete === "function" &&
    typeof map.forEach === "function"
  );
}
