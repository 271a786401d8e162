import { setTimeout as sleepFor } from "node:timers/promises";

/** Replies LotsOfReplies sends when the request asks for 0. */
export const DEFAULT_REPLY_COUNT = 3;

/**
 * What a greeting call may use of its RPC: the signal that fires on cancellation or
 * deadline, and the time left. Handlers build it from their context with `callScopeOf`.
 */
export interface CallScope {
  /** Aborted when the client cancels, the deadline passes or the server shuts down. */
  readonly signal: AbortSignal;
  /** Milliseconds left until the deadline, or undefined when the call has none. */
  timeoutMs(): number | undefined;
}

/** Why a streaming greeting ended: it ran to the end, or its signal stopped it early. */
export type GreetingEnd = "completed" | "aborted";

/**
 * Hooks to watch the greeter work. The server passes none; tests and metrics use them to
 * see, on the server side, that a cancelled stream really stopped.
 */
export interface GreeterObserver {
  /** A reply was produced for `method` (1-based count within the call). */
  replied?(method: string, count: number): void;
  /** A streaming call of `method` ended, and why. */
  ended?(method: string, end: GreetingEnd, replies: number): void;
}

/** Options of {@link createGreeter}. */
export interface GreeterOptions {
  /** Waits `ms` or rejects when `signal` aborts. Defaults to `timers/promises` setTimeout. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Sees every reply and every stream end. */
  observer?: GreeterObserver;
}

/** A LotsOfReplies request once decoded from the wire. */
export interface ReplyPlan {
  readonly greeting: string;
  /** 0 means {@link DEFAULT_REPLY_COUNT}. */
  readonly count: number;
  /** Pause between two replies; 0 means none. */
  readonly intervalMs: number;
}

/**
 * The greeting logic of HelloService, free of any RPC or wire types: handlers translate
 * messages to these calls and back.
 */
export interface Greeter {
  /** One reply to one greeting. */
  sayHello(greeting: string): string;
  /** `plan.count` replies, `plan.intervalMs` apart; stops as soon as `scope.signal` aborts. */
  lotsOfReplies(plan: ReplyPlan, scope: CallScope): AsyncIterable<string>;
  /** One reply naming every greeting, in order, once `greetings` is exhausted. */
  lotsOfGreetings(greetings: AsyncIterable<string>, scope: CallScope): Promise<string>;
  /** One reply per greeting, each as soon as its greeting arrives. */
  bidiHello(greetings: AsyncIterable<string>, scope: CallScope): AsyncIterable<string>;
}

/**
 * Creates the greeter.
 *
 * @example
 * const greeter = createGreeter();
 * greeter.sayHello("hi"); // "Hello, hi!"
 */
export function createGreeter(options: GreeterOptions = {}): Greeter {
  const sleep = options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, { signal }));
  const observer = options.observer ?? {};

  return {
    sayHello(greeting) {
      observer.replied?.("SayHello", 1);
      return `Hello, ${greeting}!`;
    },

    async *lotsOfReplies(plan, scope) {
      const count = plan.count === 0 ? DEFAULT_REPLY_COUNT : plan.count;
      let sent = 0;
      let end: GreetingEnd = "aborted";
      try {
        for (let i = 1; i <= count; i++) {
          // Checked before every reply, so no work happens once the caller is gone.
          scope.signal.throwIfAborted();
          if (i > 1 && plan.intervalMs > 0) {
            await sleep(plan.intervalMs, scope.signal);
          }
          scope.signal.throwIfAborted();
          sent = i;
          observer.replied?.("LotsOfReplies", i);
          yield `Hello, ${plan.greeting}! (reply ${i} of ${count})`;
        }
        end = "completed";
      } finally {
        observer.ended?.("LotsOfReplies", end, sent);
      }
    },

    async lotsOfGreetings(greetings, scope) {
      const all: string[] = [];
      for await (const greeting of greetings) {
        scope.signal.throwIfAborted();
        all.push(greeting);
      }
      observer.replied?.("LotsOfGreetings", 1);
      return all.length === 0 ? "Hello, nobody!" : `Hello, ${all.join(", ")}!`;
    },

    async *bidiHello(greetings, scope) {
      let sent = 0;
      let end: GreetingEnd = "aborted";
      try {
        for await (const greeting of greetings) {
          scope.signal.throwIfAborted();
          sent++;
          observer.replied?.("BidiHello", sent);
          yield `Hello, ${greeting}!`;
        }
        end = "completed";
      } finally {
        observer.ended?.("BidiHello", end, sent);
      }
    },
  };
}
