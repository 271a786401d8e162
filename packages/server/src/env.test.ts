import { readEnv } from "./env.js";
import { serverOptionsFromEnv } from "./server-options-from-env.js";

describe("readEnv()", () => {
  it("has documented defaults", () => {
    expect(readEnv({})).toEqual({
      PORT: 8080,
      HOST: "::",
      CORS_ORIGINS: [],
      SHUTDOWN_GRACE_MS: 10_000,
      READ_MAX_BYTES: 4 * 1024 * 1024,
      LOG_LEVEL: "info",
      LOG_FORMAT: "auto",
      HELLO_RPC_INTERNALS: "on",
      FIRST_REQUEST_TIMEOUT_MS: 10_000,
      IDLE_TIMEOUT_MS: 300_000,
      MAX_CONCURRENT_STREAMS: 1_000,
      MAX_HEADER_BYTES: 16_384,
      MAX_HEADER_COUNT: 100,
      KEEPALIVE_INTERVAL_MS: 30_000,
      KEEPALIVE_TIMEOUT_MS: 10_000,
      MAX_CONNECTIONS: 10_000,
      MAX_STREAM_RESETS: 200,
      STREAM_RESET_WINDOW_MS: 1_000,
    });
  });

  it("takes the internals switch as on or off, and nothing else", () => {
    expect(readEnv({ HELLO_RPC_INTERNALS: "off" }).HELLO_RPC_INTERNALS).toBe("off");
    expect(() => readEnv({ HELLO_RPC_INTERNALS: "false" })).toThrow(/HELLO_RPC_INTERNALS/);
    expect(serverOptionsFromEnv(readEnv({ HELLO_RPC_INTERNALS: "off" })).internals).toBe(false);
    expect(serverOptionsFromEnv(readEnv({})).internals).toBe(true);
  });

  it("parses lists and numbers", () => {
    const env = readEnv({ PORT: "9090", CORS_ORIGINS: "http://a.test, http://b.test", SHUTDOWN_GRACE_MS: "0" });
    expect(env.PORT).toBe(9090);
    expect(env.CORS_ORIGINS).toEqual(["http://a.test", "http://b.test"]);
    expect(env.SHUTDOWN_GRACE_MS).toBe(0);
    expect(readEnv({ CORS_ORIGINS: "*" }).CORS_ORIGINS).toBe("*");
  });

  it("names every invalid variable", () => {
    expect(() => readEnv({ PORT: "eighty", READ_MAX_BYTES: "-1" })).toThrow(/PORT.*READ_MAX_BYTES|READ_MAX_BYTES.*PORT/);
    expect(() => readEnv({ TLS_CERT_FILE: "/cert.pem" })).toThrow(/TLS_CERT_FILE and TLS_KEY_FILE must be set together/);
    expect(() => readEnv({ TLS_CLIENT_CA_FILE: "/ca.pem" })).toThrow(/TLS_CLIENT_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE/);
    expect(() => readEnv({ LOG_LEVEL: "verbose" })).toThrow(/LOG_LEVEL/);
    expect(() => readEnv({ LOG_FORMAT: "text" })).toThrow(/LOG_FORMAT/);
  });

  it("turns TLS files into tls options, the client CA included", () => {
    const tls = { TLS_CERT_FILE: "/cert.pem", TLS_KEY_FILE: "/key.pem" };
    expect(serverOptionsFromEnv(readEnv(tls)).tls).toEqual({ certFile: "/cert.pem", keyFile: "/key.pem" });
    expect(serverOptionsFromEnv(readEnv({ ...tls, TLS_CLIENT_CA_FILE: "/ca.pem" })).tls).toEqual({
      certFile: "/cert.pem",
      keyFile: "/key.pem",
      clientCaFile: "/ca.pem",
    });
    expect(serverOptionsFromEnv(readEnv({})).tls).toBeUndefined();
  });

  it("accepts PLAYGROUND_DIR only when it is a directory", () => {
    expect(readEnv({ PLAYGROUND_DIR: __dirname }).PLAYGROUND_DIR).toBe(__dirname);
    expect(() => readEnv({ PLAYGROUND_DIR: `${__dirname}/no-such-dir` })).toThrow(/PLAYGROUND_DIR: must be a directory/);
    expect(() => readEnv({ PLAYGROUND_DIR: __filename })).toThrow(/PLAYGROUND_DIR: must be a directory/);
  });
});
