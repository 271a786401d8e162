import * as http from "node:http";

/** A request as an HTTP/1.1 client sends it. */
export interface Http1Request {
  path: string;
  method?: string;
  headers: Record<string, string>;
  /**
   * Written in order, one `write` each. Without a `content-length` header the body goes
   * chunked (`transfer-encoding: chunked`), one chunk per part.
   */
  body: Buffer[];
}

/** Everything a client can see of one HTTP/1.1 exchange but its timing. */
export interface Http1Exchange {
  status: number;
  /** The header fields in the order they came, names in lower case, each as [name, value]. */
  headers: [string, string][];
  /** The body as the client reads it (chunked transfer decoded), in hex so a diff shows the bytes. */
  body: string;
  /** "end" when the response arrived whole, else what went wrong. */
  outcome: string;
  /** Whether the request went on a connection an earlier request of the same agent had used. */
  reusedSocket: boolean;
}

/**
 * Sends one request with `agent` (a keep-alive agent reuses its connection for the next
 * request) and records the response. Resolves when the response has ended or failed;
 * never rejects.
 */
export function http1Exchange(baseUrl: string, request: Http1Request, agent: http.Agent, timeoutMs = 5_000): Promise<Http1Exchange> {
  return new Promise((resolve) => {
    const result: Http1Exchange = { status: 0, headers: [], body: "", outcome: "", reusedSocket: false };
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (outcome: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      result.outcome = outcome;
      result.body = Buffer.concat(chunks).toString("hex");
      resolve(result);
    };
    const timer = setTimeout(() => {
      finish("timeout");
      req.destroy();
    }, timeoutMs);
    const req = http.request(`${baseUrl}${request.path}`, { method: request.method ?? "POST", headers: request.headers, agent }, (res) => {
      result.status = res.statusCode ?? 0;
      for (let i = 0; i < res.rawHeaders.length; i += 2) {
        result.headers.push([(res.rawHeaders[i] as string).toLowerCase(), res.rawHeaders[i + 1] as string]);
      }
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => finish("end"));
      res.on("error", (e: NodeJS.ErrnoException) => finish(`response error ${e.code ?? e.message}`));
    });
    req.on("socket", () => {
      result.reusedSocket = req.reusedSocket;
    });
    req.on("error", (e: NodeJS.ErrnoException) => finish(`request error ${e.code ?? e.message}`));
    for (const part of request.body) req.write(part);
    req.end();
  });
}

/**
 * An exchange with what differs per run removed: the `date` header's value, and a request
 * id the server generated (replaced by "<generated uuid>" when it is one).
 */
export function normalizedHttp1(exchange: Http1Exchange, sentRequestId: boolean): Http1Exchange {
  const headers = exchange.headers.map(([name, value]): [string, string] => {
    if (name === "date") return [name, "<date>"];
    if (name === "x-request-id" && !sentRequestId && UUID.test(value)) return [name, "<generated uuid>"];
    return [name, value];
  });
  return { ...exchange, headers };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
