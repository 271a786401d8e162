import type { DescService } from "@bufbuild/protobuf";
import { type CallOptions, type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { HelloService } from "@hello/sdk";
import { createNodeTransport, type NodeTransport } from "../create-node-transport.js";
import type { NodeClientOptions } from "../node-client-options.js";
import { metadataToHeaders } from "../metadata/metadata-to-headers.js";
import { type CallOutput, createCallOutput } from "./call-output.js";
import type { CliIo } from "./cli-io.js";
import type { GlobalOptions } from "./global-options.js";
import { readLines } from "./read-lines.js";
import { readText } from "./read-text.js";
import { DEFAULT_TIMEOUT_MS } from "../client-options.js";
import { explainConnectionError, withMessage } from "./connection-diagnosis.js";
import { exitCodeOf } from "./status-code.js";

/** How a command's call uses the session. */
export interface CallSettings {
  /**
   * The call waits on stdin (client and bidi streams): without `--timeout` it gets no
   * deadline, since a person may be typing. Default false: the client's default deadline.
   */
  readonly waitsOnInput?: boolean;
  /**
   * The call streams (requests, responses or both): without `--timeout` it gets no
   * deadline, since a stream may rightly run for long. Default false: unary calls get the
   * client's default deadline ({@link DEFAULT_TIMEOUT_MS}).
   */
  readonly streams?: boolean;
}

/** What a command runs: one call, with its options, printing through `output`. */
export type CallBody = (options: CallOptions, output: CallOutput) => Promise<void>;

/**
 * Runs a command's action in a fresh session, records the exit code it returns, and
 * closes the session. Commands get it from the program.
 */
export type RunInSession = (action: (session: CliSession) => Promise<number>) => Promise<void>;

/** Everything a command needs for one run of the CLI. */
export interface CliSession {
  /** The HelloService client, configured from the global options. */
  readonly hello: Client<typeof HelloService>;
  /**
   * A client of any service on the server (health, reflection, a service described by
   * reflection), on the session's connection. With `http2`, over HTTP/2 even when `--http1`
   * was given: server reflection is a bidi stream, which HTTP/1.1 cannot carry, and a
   * command that calls a method over HTTP/1.1 may still need the schema first.
   */
  client<S extends DescService>(service: S, settings?: { readonly http2?: boolean }): Client<S>;
  /** The deadline `--timeout` gave, in milliseconds (0 for none); undefined without the flag. */
  readonly timeoutMs: number | undefined;
  /**
   * Fails with UNIMPLEMENTED, saying what to do, when `--http1` was given: HTTP/1.1
   * cannot carry a bidirectional stream (`what`, e.g. "BidiHello").
   */
  requireHttp2(what: string): void;
  /** Lines of stdin, as they arrive; ends at EOF or when the session closes. */
  lines(): AsyncIterable<string>;
  /** All of stdin, once it ends. Rejects with CANCELED on Ctrl-C. */
  text(): Promise<string>;
  /** Runs one call, prints its final status, and returns the exit code. */
  call(body: CallBody, settings?: CallSettings): Promise<number>;
  /** Closes connections and stops reading stdin. */
  close(): void;
}

/**
 * Creates the session of one CLI run from the global options: one transport, configured
 * as `createClient` configures its own, for HelloService, health and reflection. It
 * is made on first use, so `--help` and usage errors never open a socket.
 */
export function createCliSession(options: GlobalOptions, io: CliIo): CliSession {
  const requestId = options.requestId;
  const clientOptions: NodeClientOptions = {
    baseUrl: options.url,
    protocol: options.protocol,
    ...(options.http1 ? { httpVersion: "1.1" } : {}),
    ...(requestId !== undefined ? { requestId: () => requestId } : {}),
    ...(options.compress !== undefined ? { sendCompression: options.compress } : {}),
  };
  const closed = new AbortController();
  const output = createCallOutput({
    stdout: io.stdout,
    stderr: io.stderr,
    json: options.json === true,
    verbose: options.verbose === true,
  });
  let connection: NodeTransport | undefined;
  let http2Connection: NodeTransport | undefined;
  const transport = () => (connection ??= createNodeTransport(clientOptions)).transport;
  const http2Transport = () =>
    options.http1 ? (http2Connection ??= createNodeTransport({ ...clientOptions, httpVersion: "2" })).transport : transport();

  let hinted = false;
  /** A one-line hint on stderr when stdin is a terminal: otherwise the CLI would seem to hang. */
  const hintOnTerminal = (hint: string) => {
    if (hinted || (io.stdin as { isTTY?: boolean }).isTTY !== true) return;
    hinted = true;
    io.stderr.write(`hello: ${hint}\n`);
  };

  return {
    get hello() {
      return createClient(HelloService, transport());
    },
    client(service, settings = {}) {
      return createClient(service, settings.http2 ? http2Transport() : transport());
    },
    timeoutMs: options.timeout,
    requireHttp2(what) {
      if (options.http1) {
        throw new ConnectError(`${what} is a bidirectional stream, which needs HTTP/2: run without --http1`, Code.Unimplemented);
      }
    },
    lines() {
      hintOnTerminal("reading requests from stdin, one per line: Ctrl-D ends them, Ctrl-C cancels");
      // Not ended by Ctrl-C: a request stream that ended cleanly would be a complete one,
      // which the server may answer. The call's own signal cancels it instead.
      return readLines(io.stdin, closed.signal);
    },
    text() {
      hintOnTerminal("reading the request from stdin: Ctrl-D ends it, Ctrl-C cancels (or pass it with -d)");
      return readText(io.stdin, io.signal);
    },
    async call(body, settings = {}) {
      let headers: Headers | undefined;
      let trailers: Headers | undefined;
      const timeoutMs = options.timeout ?? (settings.waitsOnInput || settings.streams ? 0 : undefined);
      const callOptions: CallOptions = {
        headers: metadataToHeaders(options.header ?? []),
        signal: io.signal,
        // 0 turns the client's default deadline off for this call.
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        onHeader(received) {
          headers = received;
          output.headers(received);
        },
        onTrailer(received) {
          trailers = received;
        },
      };
      let error: ConnectError | undefined;
      try {
        await body(callOptions, output);
      } catch (e) {
        error = ConnectError.from(e);
      }
      if (error !== undefined && !io.signal.aborted) {
        error = await explainConnectionError(error, options.url, headers !== undefined);
      }
      if (error?.code === Code.DeadlineExceeded && timeoutMs === undefined && options.timeout === undefined) {
        // The deadline the user did not ask for: say which one it was, and how to change it.
        error = withMessage(
          error,
          `${error.rawMessage} (the default deadline of ${DEFAULT_TIMEOUT_MS / 1000}s for unary calls: set another with --timeout, e.g. --timeout 1m, or --timeout 0 for none)`,
        );
      }
      output.status({
        error,
        // An error without response headers (e.g. a trailers-only gRPC response) carries
        // all the metadata it came with; after the headers, it carries the trailers.
        headers: headers ?? error?.metadata ?? new Headers(),
        trailers: trailers ?? (headers !== undefined ? error?.metadata : undefined) ?? new Headers(),
      });
      return exitCodeOf(error?.code ?? 0);
    },
    close() {
      closed.abort();
      connection?.close();
      http2Connection?.close();
    },
  };
}
