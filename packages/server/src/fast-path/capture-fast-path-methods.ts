import type { DescMethod, DescService } from "@bufbuild/protobuf";
import {
  type ConnectRouter,
  createConnectRouter,
  createMethodImplSpec,
  createServiceImplSpec,
  type MethodImpl,
  type MethodImplSpec,
  type ServiceImpl,
} from "@connectrpc/connect";
import { createMethodUrl } from "@connectrpc/connect/protocol";
import type { ServerStreamingMethodSpec } from "./server-stream-method.js";
import type { BidiStreamingMethodSpec, ClientStreamingMethodSpec } from "./stream-method.js";
import type { UnaryMethodSpec } from "./unary-method.js";

/** A method the fast path can serve: any kind (it serves streams over gRPC only). */
export type FastPathMethodSpec = UnaryMethodSpec | ServerStreamingMethodSpec | ClientStreamingMethodSpec | BidiStreamingMethodSpec;

/** A router that records, besides registering, what the fast path can serve. */
export interface RecordingRouter {
  /** Registers on the wrapped router and records each method. */
  readonly router: ConnectRouter;
  /** The recorded methods by request path (see {@link recordFastPathMethods}). */
  readonly methods: Map<string, FastPathMethodSpec>;
}

/**
 * Wraps a router so that what is registered on it is also recorded for the fast path: the
 * methods by request path, each with the implementation connect
 * would call (`createServiceImplSpec` binds methods to their service object and answers
 * left-out ones with UNIMPLEMENTED, as connect's router does).
 *
 * The wrapper is a working router (its `handlers` are the wrapped router's), so routes that
 * look at what is registered — server reflection — behave as usual. A method registered with
 * its own options (other limits, interceptors, compression) is left out: connect serves it
 * with those options. A later registration of a path replaces an earlier one, as in
 * connect's adapter.
 */
export function recordFastPathMethods(router: ConnectRouter): RecordingRouter {
  const methods = new Map<string, FastPathMethodSpec>();
  const record = (spec: MethodImplSpec, withOptions: boolean) => {
    const path = createMethodUrl("/", spec.method);
    if (!withOptions) methods.set(path, spec);
    else methods.delete(path);
  };
  const recording: ConnectRouter = {
    get handlers() {
      return router.handlers;
    },
    service<T extends DescService>(service: T, implementation: Partial<ServiceImpl<T>>, options?: object) {
      router.service(service, implementation, options);
      for (const spec of Object.values(createServiceImplSpec(service, implementation).methods)) {
        record(spec, options !== undefined);
      }
      return recording;
    },
    rpc<M extends DescMethod>(method: M, impl: MethodImpl<M>, options?: object) {
      router.rpc(method, impl, options);
      record(createMethodImplSpec(method, impl), options !== undefined);
      return recording;
    },
  };
  return { router: recording, methods };
}

/**
 * Runs a routes function once against a fresh router wrapped by
 * {@link recordFastPathMethods} and returns the recorded methods by request path.
 */
export function captureFastPathMethods(routes: (router: ConnectRouter) => void): Map<string, FastPathMethodSpec> {
  const { router, methods } = recordFastPathMethods(createConnectRouter());
  routes(router);
  return methods;
}
