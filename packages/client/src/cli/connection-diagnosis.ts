import * as tls from "node:tls";
import { Code, ConnectError } from "@connectrpc/connect";
import { NOT_TLS } from "../transport/normalize-transport-errors.js";

/** How long the CLI waits for a TLS handshake when it checks whether a port speaks TLS. */
const PROBE_TIMEOUT_MS = 1_000;

/**
 * A call's error, told in terms of the server address when the server could not be
 * reached or did not speak the URL's scheme; otherwise the error itself.
 *
 * - Nothing listens (ECONNREFUSED): "cannot connect to <url>: connection refused — is the
 *   server running there?", naming `--url` and `HELLO_URL`.
 * - https:// for a cleartext port: the client's own message, with the http:// URL to use.
 * - http:// for a TLS port: the call fails with a reset or a refused stream that says
 *   nothing about TLS, so the CLI asks the port for a TLS handshake (once, after the failure)
 *   and, when one succeeds, names the https:// URL to use.
 */
export async function explainConnectionError(error: ConnectError, baseUrl: string, gotHeaders: boolean): Promise<ConnectError> {
  if (gotHeaders) return error;
  const url = new URL(baseUrl);
  const codes = causeCodes(error);
  const explained = (message: string) => withMessage(error, message, Code.Unavailable);
  if (codes.has("ECONNREFUSED")) {
    return explained(
      `cannot connect to ${baseUrl}: connection refused — is the server running there? (the address comes from --url or HELLO_URL)`,
    );
  }
  if (error.rawMessage.startsWith(NOT_TLS) || codes.has("ERR_SSL_WRONG_VERSION_NUMBER")) {
    return explained(`${baseUrl} answered in cleartext, not TLS: use ${withScheme(url, "http:")}`);
  }
  const maybeTls =
    url.protocol === "http:" &&
    (error.code === Code.Unavailable || error.code === Code.Internal || error.code === Code.Unknown || error.code === Code.Canceled);
  if (maybeTls && (await speaksTls(url))) {
    return explained(`${baseUrl} speaks TLS, not cleartext: use ${withScheme(url, "https:")}`);
  }
  return error;
}

/** The same error (metadata and details kept, the original as its cause) with another message and, optionally, code. */
export function withMessage(error: ConnectError, message: string, code: Code = error.code): ConnectError {
  const replaced = new ConnectError(message, code, error.metadata, undefined, error);
  replaced.details = error.details;
  return replaced;
}

/** The `code` of every error along the cause chain. */
function causeCodes(error: unknown): Set<string> {
  const codes = new Set<string>();
  const seen = new Set<unknown>();
  for (let link = error; typeof link === "object" && link !== null && !seen.has(link); link = (link as { cause?: unknown }).cause) {
    seen.add(link);
    const code = (link as { code?: unknown }).code;
    if (typeof code === "string") codes.add(code);
  }
  return codes;
}

function withScheme(url: URL, protocol: "http:" | "https:"): string {
  const copy = new URL(url.href);
  copy.protocol = protocol;
  return copy.href.replace(/\/+$/, "");
}

/** Whether the server at `url` completes a TLS handshake (certificate not checked: only the protocol is asked). */
function speaksTls(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const socket = tls.connect({
      host,
      port: Number(url.port || 80),
      rejectUnauthorized: false,
      ALPNProtocols: ["h2", "http/1.1"],
      ...(/^[\d.:]+$/.test(host) ? {} : { servername: host }),
    });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once("secureConnect", () => done(true));
    socket.once("error", () => done(false));
  });
}
