import * as http from "node:http";
import * as http2 from "node:http2";
import { grpcUnframe, parseTrailerBlock, TRAILER_FLAG } from "./grpc-frame.js";
import type { Workload } from "./workloads.js";

/** The verdict on one request: ok, or every way the answer was wrong. */
export interface AnswerCheck {
  ok: boolean;
  problems: string[];
}

interface RawAnswer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Sends a workload's request once over a fresh connection of the workload's HTTP version
 * (`node:http2` with prior knowledge, or `node:http`) and compares the answer with what the
 * workload expects: HTTP 200, the content type, the headers it names, the exact body bytes
 * and `grpc-status: 0` wherever the protocol carries it.
 */
export async function verifyAnswer(baseUrl: string, workload: Workload, timeoutMs = 10_000): Promise<AnswerCheck> {
  let answer: RawAnswer;
  try {
    answer = await (workload.httpVersion === "h1" ? requestHttp1 : request)(baseUrl, workload, timeoutMs);
  } catch (error) {
    return { ok: false, problems: [`request failed: ${error instanceof Error ? error.message : String(error)}`] };
  }
  const problems = checkAnswer(workload, answer);
  return { ok: problems.length === 0, problems };
}

/** Compares a raw answer with the expectation; returns what is wrong (nothing when correct). */
export function checkAnswer(workload: Workload, answer: RawAnswer): string[] {
  const { expected } = workload;
  const problems: string[] = [];
  if (answer.status !== 200) problems.push(`HTTP status ${answer.status}, expected 200`);
  const contentType = String(answer.headers["content-type"] ?? "");
  if (!expected.contentTypes.includes(contentType)) {
    problems.push(`content-type "${contentType}", expected ${expected.contentTypes.map((t) => `"${t}"`).join(" or ")}`);
  }
  for (const [name, value] of Object.entries(expected.headers ?? {})) {
    if (answer.headers[name] !== value) problems.push(`header ${name}: ${JSON.stringify(answer.headers[name])}, expected "${value}"`);
  }
  let body = answer.body;
  if (expected.grpcStatusIn === "trailers") {
    // A trailers-only answer carries the status in the headers; a correct one in trailers.
    const status = answer.trailers["grpc-status"] ?? answer.headers["grpc-status"];
    if (status !== "0")
      problems.push(
        `grpc-status ${String(status)} (${String(answer.trailers["grpc-message"] ?? answer.headers["grpc-message"] ?? "")}), expected 0`,
      );
  } else if (expected.grpcStatusIn === "body") {
    const frames = grpcUnframe(body);
    const trailer = frames?.at(-1);
    if (!frames || !trailer || trailer.flags !== TRAILER_FLAG) {
      problems.push("gRPC-Web body does not end with a trailer frame");
    } else {
      const status = parseTrailerBlock(trailer.data)["grpc-status"];
      if (status !== "0") problems.push(`gRPC-Web trailer grpc-status ${String(status)}, expected 0`);
      body = body.subarray(0, body.length - trailer.data.length - 5);
    }
  }
  if (!body.equals(expected.body)) {
    problems.push(`body differs: got ${describe(body)}, expected ${describe(expected.body)}`);
  }
  return problems;
}

function describe(bytes: Buffer): string {
  const shown = bytes.subarray(0, 48).toString("hex");
  return `${bytes.length} bytes (${shown}${bytes.length > 48 ? "…" : ""})`;
}

function request(baseUrl: string, workload: Workload, timeoutMs: number): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      session.destroy();
      reject(error);
    };
    session.on("error", fail);
    const stream = session.request({ ":method": "POST", ":path": workload.path, ...workload.headers });
    const answer: RawAnswer = { status: 0, headers: {}, trailers: {}, body: Buffer.alloc(0) };
    const chunks: Buffer[] = [];
    stream.on("response", (headers) => {
      answer.status = Number(headers[":status"]);
      answer.headers = headers;
    });
    stream.on("trailers", (trailers) => {
      answer.trailers = trailers;
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", fail);
    stream.on("end", () => {
      clearTimeout(timer);
      answer.body = Buffer.concat(chunks);
      session.close();
      resolve(answer);
    });
    stream.end(workload.body);
  });
}

function requestHttp1(baseUrl: string, workload: Workload, timeoutMs: number): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${baseUrl}${workload.path}`,
      {
        method: "POST",
        headers: { ...workload.headers, "content-length": String(workload.body.length) },
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers as http2.IncomingHttpHeaders,
            trailers: res.trailers as http2.IncomingHttpHeaders,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no complete answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(workload.body);
  });
}
