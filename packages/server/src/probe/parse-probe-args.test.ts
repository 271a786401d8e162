import { DEFAULT_PROBE_TIMEOUT_MS, parseProbeArgs } from "./parse-probe-args.js";

describe("parseProbeArgs()", () => {
  it("checks the whole server on 127.0.0.1:8080 over h2c by default", () => {
    expect(parseProbeArgs([])).toEqual({
      kind: "options",
      options: { baseUrl: "http://127.0.0.1:8080", service: "", timeoutMs: DEFAULT_PROBE_TIMEOUT_MS },
    });
  });

  it("takes --addr, --service and --timeout, as --flag value or --flag=value", () => {
    expect(parseProbeArgs(["--addr", "server:9090", "--service=hello.v1.HelloService", "--timeout", "2s"])).toEqual({
      kind: "options",
      options: { baseUrl: "http://server:9090", service: "hello.v1.HelloService", timeoutMs: 2_000 },
    });
  });

  it("accepts IPv6 addresses in brackets", () => {
    expect(parseProbeArgs(["--addr", "[::1]:8080"])).toMatchObject({ options: { baseUrl: "http://[::1]:8080" } });
  });

  it.each([
    ["500ms", 500],
    ["1.5s", 1_500],
    ["250", 250],
  ])("reads --timeout %s as %ims", (raw, ms) => {
    expect(parseProbeArgs(["--timeout", raw])).toMatchObject({ options: { timeoutMs: ms } });
  });

  it("turns TLS on with --tls or an https --url", () => {
    expect(parseProbeArgs(["--addr", "api.test:443", "--tls", "--tls-server-name", "api"])).toEqual({
      kind: "options",
      options: { baseUrl: "https://api.test", service: "", timeoutMs: 1_000, tls: { noVerify: false, serverName: "api" } },
    });
    expect(parseProbeArgs(["--url", "https://127.0.0.1:8443", "--tls-no-verify"])).toMatchObject({
      options: { baseUrl: "https://127.0.0.1:8443", tls: { noVerify: true } },
    });
  });

  it("answers --help with the usage", () => {
    expect(parseProbeArgs(["-h"])).toMatchObject({ kind: "help", text: expect.stringContaining("Usage: hello-probe") });
  });

  it.each([
    [["--addr", "8080"], "is not HOST:PORT"],
    [["--addr", "host:99999"], "is not HOST:PORT"],
    [["--addr", "http://host:8080"], "is not HOST:PORT"],
    [["--url", "ftp://host:21"], "must start with http://"],
    [["--url", "http://host:8080/prefix"], "origin only"],
    [["--url", "http://a:1", "--addr", "b:2"], "pick one"],
    [["--url", "http://a:1", "--tls"], "contradicts"],
    [["--tls-no-verify"], "needs TLS"],
    [["--tls", "--tls-no-verify", "--tls-ca-cert", "ca.pem"], "contradict"],
    [["--timeout", "0"], "at least 1ms"],
    [["--timeout", "1m"], "is not a duration"],
    [["--verbose"], "Unknown option"],
    [["stray"], "positional"],
  ])("rejects %j", (args, message) => {
    const parsed = parseProbeArgs(args);
    expect(parsed.kind).toBe("error");
    expect(parsed.kind === "error" && parsed.message).toContain(message);
  });
});
