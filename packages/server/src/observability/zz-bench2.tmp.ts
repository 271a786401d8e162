import { Histogram, Registry } from "prom-client";
const h = new Headers({ "content-type": "application/grpc", traceparent: "x" });
function bench(name: string, fn: (i: number) => unknown) { for (let i = 0; i < 1e5; i++) fn(i); const N = 1e6; const t = performance.now(); for (let i = 0; i < N; i++) fn(i); console.log(name, ((performance.now() - t) * 1e6 / N).toFixed(0), "ns"); }
bench("headers.get", () => h.get("content-type"));
bench("toLowerCase", () => "application/grpc".toLowerCase());
const r = new Registry();
const hist = new Histogram({ name: "h", help: "h", labelNames: ["a", "b", "c", "d"], registers: [r] });
const labels = { a: "unary", b: "hello.v1.HelloService", c: "SayHello", d: "grpc" };
bench("hist.observe", (i) => hist.observe(labels, (i % 100) / 1e5));
const m = new Map<object, number[]>(); const k = {}; m.set(k, [1]);
bench("map.get", () => m.get(k)![0]);
bench("perf.now", () => performance.now());
