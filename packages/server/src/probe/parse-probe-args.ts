import { parseArgs } from "node:util";

/** What `hello-probe` checks, and how. */
export interface ProbeOptions {
  /** Origin of the server, e.g. "http://127.0.0.1:8080" (h2c) or "https://api.example:443". */
  baseUrl: string;
  /** The service whose health is asked for; "" is the server as a whole. */
  service: string;
  /** Deadline of the whole check, connecting included, in milliseconds. */
  timeoutMs: number;
  /** TLS settings; present exactly when `baseUrl` is https. */
  tls?: ProbeTlsOptions;
}

/** TLS settings of the probe. */
export interface ProbeTlsOptions {
  /** Accept any server certificate (self-signed, wrong name). For local checks only. */
  noVerify: boolean;
  /** PEM file of the CA that signed the server certificate, instead of the system CAs. */
  caCertFile?: string;
  /** Name to verify the certificate against (and send as SNI), instead of the URL's host. */
  serverName?: string;
}

/** The outcome of {@link parseProbeArgs}: options to run with, a help request, or an error. */
export type ParsedProbeArgs =
  | { kind: "options"; options: ProbeOptions }
  | { kind: "help"; text: string }
  | { kind: "error"; message: string };

/** Address checked when neither `--addr` nor `--url` is given: the server's default port. */
export const DEFAULT_PROBE_ADDR = "127.0.0.1:8080";

/** Deadline of a check unless `--timeout` says otherwise, as grpc_health_probe's. */
export const DEFAULT_PROBE_TIMEOUT_MS = 1_000;

export const PROBE_USAGE = `Usage: hello-probe [options]

Calls grpc.health.v1.Health/Check over gRPC (HTTP/2) and exits 0 when the service is SERVING.
Exit codes: 1 invalid arguments, 2 connection failure, 3 RPC failure, 4 not SERVING.

Options:
  --addr HOST:PORT        server address (default ${DEFAULT_PROBE_ADDR}); IPv6 as [::1]:8080
  --url URL               server origin instead of --addr: http://… (h2c) or https://… (TLS)
  --service NAME          service to check (default "": the server as a whole)
  --timeout DURATION      deadline of the check, connecting included: 500ms, 2s, or a number
                          of milliseconds (default ${DEFAULT_PROBE_TIMEOUT_MS}ms)
  --tls                   use TLS with --addr
  --tls-no-verify         accept any server certificate (local checks only)
  --tls-ca-cert FILE      verify the server certificate against this CA (PEM)
  --tls-server-name NAME  verify the certificate for this name and send it as SNI
  -h, --help              show this help
`;

/**
 * Parses `hello-probe`'s command line (without the node and script paths). Never throws:
 * mistakes come back as `{ kind: "error" }` with a message for the user.
 *
 * @example
 * parseProbeArgs(["--addr", "127.0.0.1:8080", "--timeout", "2s"]);
 * // { kind: "options", options: { baseUrl: "http://127.0.0.1:8080", service: "", timeoutMs: 2000 } }
 */
export function parseProbeArgs(args: readonly string[]): ParsedProbeArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        addr: { type: "string" },
        url: { type: "string" },
        service: { type: "string", default: "" },
        timeout: { type: "string" },
        tls: { type: "boolean", default: false },
        "tls-no-verify": { type: "boolean", default: false },
        "tls-ca-cert": { type: "string" },
        "tls-server-name": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    // node:util reports unknown options, missing values and positionals as TypeErrors.
    return { kind: "error", message: error instanceof Error ? error.message : String(error) };
  }
  if (values.help) {
    return { kind: "help", text: PROBE_USAGE };
  }

  const timeoutMs = parseTimeout(values.timeout);
  if (typeof timeoutMs === "string") {
    return { kind: "error", message: timeoutMs };
  }

  const baseUrl =
    values.url !== undefined ? parseUrl(values.url, values.addr, values.tls) : parseAddr(values.addr ?? DEFAULT_PROBE_ADDR, values.tls);
  if (!baseUrl.ok) {
    return { kind: "error", message: baseUrl.message };
  }
  const secure = baseUrl.url.startsWith("https:");
  const tlsFlags = ["tls-no-verify", "tls-ca-cert", "tls-server-name"] as const;
  const strayTlsFlag = tlsFlags.find((flag) => values[flag] !== undefined && values[flag] !== false);
  if (!secure && strayTlsFlag) {
    return { kind: "error", message: `--${strayTlsFlag} needs TLS: add --tls, or use an https:// --url` };
  }
  if (values["tls-no-verify"] && values["tls-ca-cert"] !== undefined) {
    return { kind: "error", message: "--tls-no-verify and --tls-ca-cert contradict each other: pick one" };
  }

  const options: ProbeOptions = { baseUrl: baseUrl.url, service: values.service, timeoutMs };
  if (secure) {
    options.tls = {
      noVerify: values["tls-no-verify"],
      ...(values["tls-ca-cert"] !== undefined ? { caCertFile: values["tls-ca-cert"] } : {}),
      ...(values["tls-server-name"] !== undefined ? { serverName: values["tls-server-name"] } : {}),
    };
  }
  return { kind: "options", options };
}

type UrlResult = { ok: true; url: string } | { ok: false; message: string };

// host:port, where host is a name, an IPv4 address or a bracketed IPv6 address.
const ADDR = /^(\[[0-9a-fA-F:.]+\]|[^\s:/?#@[\]]+):(\d{1,5})$/;

function parseAddr(addr: string, tls: boolean): UrlResult {
  const match = ADDR.exec(addr);
  const port = Number(match?.[2]);
  if (!match || !(port >= 1 && port <= 65535)) {
    return { ok: false, message: `--addr ${JSON.stringify(addr)} is not HOST:PORT (IPv6 as [::1]:8080)` };
  }
  try {
    return { ok: true, url: new URL(`${tls ? "https" : "http"}://${match[1]}:${port}`).origin };
  } catch {
    return { ok: false, message: `--addr ${JSON.stringify(addr)} is not HOST:PORT (IPv6 as [::1]:8080)` };
  }
}

function parseUrl(raw: string, addr: string | undefined, tls: boolean): UrlResult {
  if (addr !== undefined) {
    return { ok: false, message: "--addr and --url name the server twice: pick one" };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: `--url ${JSON.stringify(raw)} is not a URL` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { ok: false, message: `--url must start with http:// (h2c) or https:// (TLS), not ${url.protocol}//` };
  }
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "" || url.username !== "") {
    return { ok: false, message: `--url takes an origin only (scheme://host:port), not ${JSON.stringify(raw)}` };
  }
  if (tls && url.protocol === "http:") {
    return { ok: false, message: "--tls contradicts an http:// --url: use https://" };
  }
  return { ok: true, url: url.origin };
}

// "500ms", "2s", "1.5s" or a bare number of milliseconds.
const DURATION = /^(\d+(?:\.\d+)?)(ms|s)?$/;

function parseTimeout(raw: string | undefined): number | string {
  if (raw === undefined) {
    return DEFAULT_PROBE_TIMEOUT_MS;
  }
  const match = DURATION.exec(raw.trim());
  const ms = match ? Number(match[1]) * (match[2] === "s" ? 1_000 : 1) : Number.NaN;
  if (!(ms >= 1) || !Number.isFinite(ms)) {
    return `--timeout ${JSON.stringify(raw)} is not a duration of at least 1ms (e.g. 500ms, 2s)`;
  }
  return Math.round(ms);
}
