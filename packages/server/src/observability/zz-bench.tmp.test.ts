import { createContextValues, type UnaryRequest } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { HelloRequestSchema, HelloResponseSchema, HelloService } from "@hello/sdk";
import { pino } from "pino";
import { Registry } from "prom-client";
import { createObservability } from "./observability.js";
import { parseTraceparent } from "./traceparent.js";
import { requestIdKey } from "../request-id.js";
import { traceContextKey } from "./traceparent.js";
import { connectionInfoKey } from "./connection-info.js";

it("bench", async () => {
  const header = new Headers({ "content-type": "application/grpc", traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" });
  const res = { stream: false as const, service: HelloService, method: HelloService.method.sayHello, header: new Headers(), trailer: new Headers(), message: create(HelloResponseSchema, { reply: "x" }) };
  const next = async () => res;
  const signal = new AbortController().signal;
  const message = create(HelloRequestSchema, { greeting: "x" });
  const mkReq = (): UnaryRequest => ({ stream: false, service: HelloService, method: HelloService.method.sayHello, requestMethod: "POST", url: "http://x/hello.v1.HelloService/SayHello", signal, header, message,
    contextValues: createContextValues().set(requestIdKey, "abc").set(traceContextKey, parseTraceparent(header.get("traceparent"))).set(connectionInfoKey, { httpVersion: "2", remoteAddress: "127.0.0.1", remotePort: 4000 }) });
  const nullLogger = pino({ level: "info" }, { write: () => {} });
  const variants: [string, Parameters<typeof createObservability>[0]][] = [
    ["metrics", { logger: false, metrics: new Registry() }],
    ["log", { logger: nullLogger, metrics: false }],
    ["log (level warn)", { logger: pino({ level: "warn" }, { write: () => {} }), metrics: false }],
    ["metrics+log", { logger: nullLogger, metrics: new Registry() }],
  ];
  const out: string[] = [];
  const N = 200_000;
  const time = async (fn: (req: UnaryRequest) => Promise<unknown>) => {
    for (let i = 0; i < 20_000; i++) await fn(mkReq());
    const t = performance.now();
    for (let i = 0; i < N; i++) await fn(mkReq());
    return ((performance.now() - t) * 1000) / N;
  };
  const base = await time(next);
  out.push(`baseline ${base.toFixed(2)} µs`);
  for (const [name, options] of variants) {
    const [interceptor] = createObservability(options).interceptors;
    const us = await time((req) => interceptor!(next)(req));
    out.push(`${name}: +${(us - base).toFixed(2)} µs`);
  }
  const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  let t = performance.now(); for (let i = 0; i < 1e6; i++) parseTraceparent(tp); out.push(`parseTraceparent ${((performance.now() - t)).toFixed(3)} µs/call... (per 1e6 ms → ns: ${((performance.now() - t)).toFixed(0)} ns)`);
  t = performance.now(); for (let i = 0; i < 1e6; i++) parseTraceparent(undefined); out.push(`parseTraceparent(undefined) ${((performance.now() - t)).toFixed(0)} ns`);
  console.log(out.join("\n"));
}, 120_000);
