import { type DescMessage, fromJson, type JsonValue, type MessageShape, type Registry } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Parses one request message from its JSON (the proto3 JSON mapping: field names as in
 * the proto or in lowerCamelCase, both accepted, as protobuf-es reads them). `where` says
 * which request it is in the error, e.g. "request 2". Throws a ConnectError with
 * INVALID_ARGUMENT naming the message type and carrying the parser's reason.
 *
 * @example
 * parseRequestJson(HelloRequestSchema, '{"greeting": "hi", "reply_count": 2}', registry, "request");
 */
export function parseRequestJson<Desc extends DescMessage>(
  schema: Desc,
  text: string,
  registry: Registry,
  where: string,
): MessageShape<Desc> {
  let json: JsonValue;
  try {
    json = JSON.parse(text) as JsonValue;
  } catch (e) {
    throw invalid(`${where} is not JSON: ${reasonOf(e)}`, e);
  }
  try {
    return fromJson(schema, json, { registry });
  } catch (e) {
    // protobuf-es's reason names the type: "cannot decode message hello.v1.HelloRequest from JSON: …".
    throw invalid(`${where}: ${reasonOf(e)}`, e);
  }
}

/**
 * Parses the requests of a client or bidi stream, one JSON object per line (blank lines
 * skipped), as the lines arrive: each is sent before the next is read. A line that does
 * not parse fails the call with INVALID_ARGUMENT, naming its number.
 */
export async function* parseRequestLines<Desc extends DescMessage>(
  schema: Desc,
  lines: AsyncIterable<string>,
  registry: Registry,
): AsyncGenerator<MessageShape<Desc>> {
  let n = 0;
  for await (const line of lines) {
    if (line.trim() === "") continue;
    yield parseRequestJson(schema, line, registry, `request ${++n}`);
  }
}

/**
 * Parses every request of a client or bidi stream from one text, one JSON object per line,
 * before any is sent: a mistake fails the command before the call starts.
 */
export function parseRequestList<Desc extends DescMessage>(schema: Desc, text: string, registry: Registry): MessageShape<Desc>[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, i) => parseRequestJson(schema, line, registry, `request ${i + 1}`));
}

/**
 * The one request of a unary or server-streaming call from its text: a JSON object, which
 * may span lines; an empty text is the empty message `{}`. Throws INVALID_ARGUMENT for more
 * than one object (e.g. one per line, as for streams).
 */
export function parseSingleRequest<Desc extends DescMessage>(
  schema: Desc,
  text: string,
  registry: Registry,
  method: string,
): MessageShape<Desc> {
  if (text.trim() === "") return parseRequestJson(schema, "{}", registry, "the request");
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  if (lines.length > 1 && lines.every(isJson)) {
    throw invalid(`${method} takes one request message, but the input has ${lines.length} lines of JSON`);
  }
  return parseRequestJson(schema, text, registry, "the request");
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function invalid(message: string, cause?: unknown): ConnectError {
  return new ConnectError(message, Code.InvalidArgument, undefined, undefined, cause);
}

function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
