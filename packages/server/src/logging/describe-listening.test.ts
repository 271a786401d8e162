import { createHelloServer } from "../server.js";
import { describeListening, type ListeningServer } from "./describe-listening.js";

const base: ListeningServer = { host: "::", port: 8080, tls: false, services: ["hello.v1.HelloService"], metrics: true };

describe("describeListening()", () => {
  it("names the bound wildcard and a URL that reaches it from this machine", () => {
    const dualStack = describeListening(base);
    expect(dualStack.message).toBe(
      "listening on http://localhost:8080 (bound to [::]:8080, every IPv4 and IPv6 address): gRPC, gRPC-Web and Connect over HTTP/1.1 and h2c; services hello.v1.HelloService; Prometheus metrics at /metrics",
    );
    expect(dualStack.fields).toMatchObject({ url: "http://localhost:8080", address: "[::]:8080", port: 8080 });

    // IPv4 only: localhost may resolve to ::1 first, which nothing answers.
    const ipv4 = describeListening({ ...base, host: "0.0.0.0" });
    expect(ipv4.message).toMatch(/^listening on http:\/\/127\.0\.0\.1:8080 \(bound to 0\.0\.0\.0:8080, every IPv4 address\): /);
  });

  it("gives one address as it is, IPv6 in brackets", () => {
    expect(describeListening({ ...base, host: "127.0.0.1", port: 9000 }).message).toMatch(/^listening on http:\/\/127\.0\.0\.1:9000: gRPC/);
    const loopback6 = describeListening({ ...base, host: "::1" });
    expect(loopback6.message).toMatch(/^listening on http:\/\/\[::1\]:8080: gRPC/);
    expect(loopback6.fields.address).toBe("[::1]:8080");
  });

  it("says https and HTTP/2 by ALPN under TLS, and leaves out what is not served", () => {
    const tls = describeListening({ ...base, host: "127.0.0.1", tls: true, metrics: false });
    expect(tls.message).toBe(
      "listening on https://127.0.0.1:8080: gRPC, gRPC-Web and Connect over HTTP/1.1 and HTTP/2 (TLS, ALPN); services hello.v1.HelloService",
    );
    expect(tls.fields).not.toHaveProperty("metrics");
    expect(tls.fields.http).toEqual(["HTTP/1.1", "HTTP/2 (TLS, ALPN)"]);
  });

  it("names the static directory when one is served", () => {
    const withStatic = describeListening({ ...base, staticDir: "/srv/playground" });
    expect(withStatic.message).toMatch(/; static files from \/srv\/playground at \/$/);
    expect(withStatic.fields.static).toBe("/srv/playground");
  });

  it("lists every service a server registers, the platform's included", () => {
    const server = createHelloServer({ port: 0 });
    const names = server.services.map((service) => service.typeName);
    const { message, fields } = describeListening({ ...base, services: names });
    expect(fields.services).toEqual(names);
    expect(names).toEqual(
      expect.arrayContaining(["hello.v1.HelloService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]),
    );
    expect(message).toContain(`; services ${names.join(", ")};`);
  });
});
