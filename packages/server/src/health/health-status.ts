/**
 * The serving status of a service, as the gRPC health protocol names them
 * (https://github.com/grpc/grpc/blob/master/doc/health-checking.md). `SERVICE_UNKNOWN` means
 * that no status has been set for the service.
 */
export type ServingStatus = "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";

/** Called with the new status of a watched service. */
export type ServingStatusListener = (status: ServingStatus) => void;

/**
 * The health of the server's services: a plain store that the server, the services and
 * operators write to, and the `grpc.health.v1.Health` service reads from. The service name
 * "" stands for the server as a whole.
 */
export interface HealthStatus {
  /**
   * Sets the status of a service. `SERVICE_UNKNOWN` forgets the service. Listeners hear of
   * the change only if the status actually changed. Ignored after {@link shutdown}, so that
   * nothing reports SERVING again while the server drains.
   */
  set(service: string, status: ServingStatus): void;
  /** The status of a service; `SERVICE_UNKNOWN` when none was set. */
  get(service: string): ServingStatus;
  /** The services that have a status, "" included when set, in the order they were first set. */
  services(): string[];
  /**
   * Calls `listener` on every change of the service's status (not with the current one; read
   * it with {@link get}). Returns the function that removes the listener.
   */
  subscribe(service: string, listener: ServingStatusListener): () => void;
  /**
   * The service's status now, then every change, until `signal` aborts or the store shuts
   * down (after it has delivered NOT_SERVING). The listener is removed when the iteration
   * ends for any reason.
   */
  watch(service: string, signal: AbortSignal): AsyncIterable<ServingStatus>;
  /**
   * Sets every service NOT_SERVING, ends all watches once they have delivered that, and
   * ignores later {@link set} calls. The server calls it when it starts to shut down, so that
   * load balancers stop sending calls and watch streams do not hold up the drain.
   */
  shutdown(): void;
  /** True once {@link shutdown} has been called. */
  readonly isShutdown: boolean;
  /** How many listeners and watches are active (for diagnostics and leak checks). */
  readonly listenerCount: number;
}

/**
 * Creates an empty health status store: every service is `SERVICE_UNKNOWN` until set.
 *
 * @example
 * const health = createHealthStatus();
 * health.set("", "SERVING");
 * health.set("hello.v1.HelloService", "SERVING");
 * // … later, when shutting down:
 * health.shutdown(); // every service NOT_SERVING
 */
export function createHealthStatus(): HealthStatus {
  const statuses = new Map<string, Exclude<ServingStatus, "SERVICE_UNKNOWN">>();
  const listeners = new Map<string, Set<ServingStatusListener>>();
  const shutdownHooks = new Set<() => void>();
  let isShutdown = false;

  const notify = (service: string, status: ServingStatus) => {
    for (const listener of [...(listeners.get(service) ?? [])]) {
      listener(status);
    }
  };

  const update = (service: string, status: ServingStatus) => {
    const before = statuses.get(service) ?? "SERVICE_UNKNOWN";
    if (status === "SERVICE_UNKNOWN") {
      statuses.delete(service);
    } else {
      statuses.set(service, status);
    }
    if (before !== status) {
      notify(service, status);
    }
  };

  const subscribe = (service: string, listener: ServingStatusListener) => {
    let set = listeners.get(service);
    if (set === undefined) {
      set = new Set();
      listeners.set(service, set);
    }
    // A wrapper, so that the same function can be subscribed twice and removed once each.
    const entry: ServingStatusListener = (status) => listener(status);
    set.add(entry);
    return () => {
      set.delete(entry);
      if (set.size === 0 && listeners.get(service) === set) {
        listeners.delete(service);
      }
    };
  };

  const watchSource: WatchSource = {
    get: (service) => statuses.get(service) ?? "SERVICE_UNKNOWN",
    subscribe,
    onShutdown(hook) {
      shutdownHooks.add(hook);
      return () => shutdownHooks.delete(hook);
    },
    isShutdown: () => isShutdown,
  };

  return {
    set(service, status) {
      if (!isShutdown) {
        update(service, status);
      }
    },
    get(service) {
      return statuses.get(service) ?? "SERVICE_UNKNOWN";
    },
    services() {
      return [...statuses.keys()];
    },
    subscribe,
    watch(service, signal) {
      return watchStatus(service, signal, watchSource);
    },
    shutdown() {
      if (isShutdown) return;
      for (const service of statuses.keys()) {
        update(service, "NOT_SERVING");
      }
      isShutdown = true;
      for (const hook of [...shutdownHooks]) {
        hook();
      }
    },
    get isShutdown() {
      return isShutdown;
    },
    get listenerCount() {
      let count = 0;
      for (const set of listeners.values()) count += set.size;
      return count;
    },
  };
}

interface WatchSource {
  get(service: string): ServingStatus;
  subscribe(service: string, listener: ServingStatusListener): () => void;
  onShutdown(hook: () => void): () => void;
  isShutdown(): boolean;
}

/**
 * Turns the listener API into an async iterable: a queue of changes, fed by a listener that
 * is added when iteration starts. The listener goes as soon as the watch ends (abort,
 * shutdown, or the reader stopping), even while the generator sits suspended at a `yield`
 * that nobody resumes: a cancelled RPC does not always finish its handler's iteration.
 */
async function* watchStatus(service: string, signal: AbortSignal, source: WatchSource): AsyncGenerator<ServingStatus> {
  if (signal.aborted) return;
  // Every change is delivered (the health protocol asks for a message per change), but a
  // status equal to the last one queued is dropped, so a slow reader cannot build up a
  // backlog of repeats.
  const queue: ServingStatus[] = [source.get(service)];
  let wake: (() => void) | undefined;
  const unsubscribe = source.subscribe(service, (status) => {
    if (queue[queue.length - 1] !== status) queue.push(status);
    wake?.();
  });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    unsubscribe();
    signal.removeEventListener("abort", end);
    offShutdown();
    wake?.();
  };
  signal.addEventListener("abort", end);
  // On shutdown the store has queued NOT_SERVING already; it is delivered before the end.
  const offShutdown = source.onShutdown(end);
  if (source.isShutdown()) end();
  try {
    for (;;) {
      if (signal.aborted) return;
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
      } else if (ended) {
        return;
      } else {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    }
  } finally {
    end();
  }
}
