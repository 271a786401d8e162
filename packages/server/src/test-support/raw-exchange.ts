import * as http2 from "node:http2";

/** A request as a raw HTTP/2 client sends it. */
export interface RawRequest {
  path: string;
  method?: string;
  headers: http2.OutgoingHttpHeaders;
  /** Written in order, one `write` each (lets a test split a frame across DATA frames). */
  body: Buffer[];
  /** Leave the request stream open after the body (the server must answer without its end). */
  keepOpen?: boolean;
}

/** Everything a client can see of one exchange. */
export interface RawExchange {
  status: number;
  headers: Record<string, unknown>;
  trailers: Record<string, unknown>;
  /** Hex, so a diff shows the bytes. */
  body: string;
  /** How the stream ended for the client: "end" (the response ended) or the error code. */
  outcome: string;
}

/**
 * Sends one request on a new HTTP/2 connection and records the response: status, headers,
 * trailers, body bytes and how the stream ended. Resolves when the response has ended (or
 * the stream failed); never rejects.
 */
export function rawExchange(baseUrl: string, request: RawRequest, timeoutMs = 5_000): Promise<RawExchange> {
  const session = http2.connect(baseUrl);
  const exchange = record(session, request, timeoutMs);
  session.on("error", (e: NodeJS.ErrnoException) => exchange.finish(`session error ${e.code ?? e.message}`));
  return exchange.result.finally(() => session.destroy());
}

/** As {@link rawExchange}, on a session that is already open and stays open. */
export function sessionExchange(session: http2.ClientHttp2Session, request: RawRequest, timeoutMs = 5_000): Promise<RawExchange> {
  return record(session, request, timeoutMs).result;
}

function record(
  session: http2.ClientHttp2Session,
  request: RawRequest,
  timeoutMs: number,
): { result: Promise<RawExchange>; finish: (outcome: string) => void } {
  const result: RawExchange = { status: 0, headers: {}, trailers: {}, body: "", outcome: "" };
  const chunks: Buffer[] = [];
  let resolveResult: (exchange: RawExchange) => void = () => {};
  const promise = new Promise<RawExchange>((resolve) => (resolveResult = resolve));
  let done = false;
  const finish = (outcome: string) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    result.outcome = outcome;
    result.body = Buffer.concat(chunks).toString("hex");
    resolveResult(result);
  };
  const timer = setTimeout(() => finish("timeout"), timeoutMs);
  const req = session.request({ ":method": request.method ?? "POST", ":path": request.path, ...request.headers });
  req.on("response", (h) => {
    result.status = Number(h[":status"]);
    result.headers = { ...h };
  });
  req.on("trailers", (t) => {
    result.trailers = { ...t };
  });
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => finish("end"));
  req.on("error", (e: NodeJS.ErrnoException) => finish(`stream error ${e.code ?? e.message}`));
  req.on("close", () => finish(`closed rst=${req.rstCode}`));
  for (const part of request.body) req.write(part);
  if (!request.keepOpen) req.end();
  return { result: promise, finish };
}

/**
 * An exchange with what differs per run removed: the `date` header, and a request id the
 * server generated (replaced by "<generated uuid>" when it is one).
 */
export function normalized(exchange: RawExchange, sentRequestId: boolean): RawExchange {
  const headers = { ...exchange.headers };
  delete headers.date;
  const id = headers["x-request-id"];
  if (!sentRequestId && typeof id === "string" && /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)) {
    headers["x-request-id"] = "<generated uuid>";
  }
  return { ...exchange, headers };
}
