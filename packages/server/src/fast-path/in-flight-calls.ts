/** Something {@link createInFlightCalls} can hold: it keeps the slot it was given. */
export interface InFlightCall {
  /** The call's slot while it is registered, -1 otherwise. Only the registry writes it. */
  inFlightSlot: number;
}

/** See {@link createInFlightCalls}. */
export interface InFlightCalls<T extends InFlightCall> {
  /** Registers a call (a registered call is left as it is). */
  add(call: T): void;
  /** Unregisters a call (an unregistered one is left as it is). */
  delete(call: T): void;
  /**
   * Calls `fn` for every registered call, in no particular order; a call `fn` deletes before
   * the walk reaches it is skipped (as a `Set` walk does), a call it adds is not visited.
   */
  forEach(fn: (call: T) => void): void;
}

/**
 * The fast path's calls in flight, so that the server's shutdown can abort them all: an
 * array of slots with a list of free ones, each call remembering its slot. Adding and
 * deleting write one array element and allocate nothing.
 *
 * Why not a `Set`: a long-lived `Set` that a call enters and leaves on every request kept
 * each call's garbage alive through V8's young-generation collections (as far as we can
 * tell, the hash tables V8 replaces as a Set grows and fills with deleted entries keep
 * their entries and their successor until a full GC, and an old-generation object keeps
 * what it points to alive in a young-generation collection, dead or not).
 * Measured on Node 24, our server as shipped, 100k unary gRPC calls at `-c 10 -m 10`:
 * scavenge time ~760 ms with a Set, ~440 ms with these slots, ~300 ms with no registry at
 * all; ~4–7 µs per call in CPU (median of interleaved runs). A slot holds its call only
 * while it is in flight.
 */
export function createInFlightCalls<T extends InFlightCall>(): InFlightCalls<T> {
  const slots: (T | undefined)[] = [];
  const free: number[] = [];
  return {
    add(call) {
      if (call.inFlightSlot !== -1) return;
      const slot = free.length > 0 ? (free.pop() as number) : slots.length;
      slots[slot] = call;
      call.inFlightSlot = slot;
    },
    delete(call) {
      const slot = call.inFlightSlot;
      if (slot === -1 || slots[slot] !== call) return;
      slots[slot] = undefined;
      free.push(slot);
      call.inFlightSlot = -1;
    },
    forEach(fn) {
      // A copy: `fn` may end calls, and so delete them (or add some), while we walk.
      for (const call of slots.slice()) {
        if (call !== undefined && slots[call.inFlightSlot] === call) fn(call);
      }
    },
  };
}
