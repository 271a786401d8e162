import { readFileSync } from "node:fs";
import { type Message, toJson } from "@bufbuild/protobuf";
import { Command, InvalidArgumentError } from "@commander-js/extra-typings";
import type { CallOptions } from "@connectrpc/connect";
import type { RunInSession } from "./cli-session.js";
import { type MethodTarget, parseMethodTarget } from "./method-target.js";
import { parseRequestLines, parseRequestList, parseSingleRequest } from "./parse-request-json.js";
import { createReflectionSchema } from "./reflection-schema.js";
import { createServerReflection } from "./server-reflection.js";

/**
 * A method of connect's client for a service described at run time, which TypeScript
 * cannot type: unary and client-streaming methods return a promise, the others an
 * async iterable of responses.
 */
type DynamicMethod = (request: unknown, options: CallOptions) => unknown;

const HELP = `
Requests:
  -d takes the request as JSON, @<file> reads it from a file, and @- (or no -d) from stdin.
  Unary and server-streaming methods take one JSON object (empty input sends {}). Client
  and bidi streams take one JSON object per line; from stdin each line is sent as soon as
  it is read, and end of input (Ctrl-D) ends the stream. Field names may be as in the
  proto (reply_count) or in JSON (replyCount).

Responses:
  Each response message is printed as it arrives, as one line of JSON (with --json, as
  {"message": …} lines and then the status, as for every command).

Schema:
  The method's types come from the server's gRPC reflection (grpc.reflection.v1, falling
  back to v1alpha), as with buf curl or grpcurl: no proto files needed. Reflection is a
  bidi stream, so it uses HTTP/2 even with --http1; the call itself uses HTTP/1.1 then.

Examples:
  hello call hello.v1.HelloService/SayHello -d '{"greeting": "world"}'
  hello call hello.v1.HelloService/LotsOfReplies -d '{"greeting": "hi", "reply_count": 3}'
  printf '{"greeting":"Ann"}\\n{"greeting":"Bob"}\\n' | hello call hello.v1.HelloService/LotsOfGreetings
  hello call grpc.health.v1.Health/Check --protocol connect --http1 -d @request.json`;

/** `hello call <method>`: any method of any service, its schema from server reflection. */
export function createCallCommand(run: RunInSession) {
  return new Command("call")
    .description(
      "call any method of any service on the server, request and responses as JSON, with the schema from server reflection (no proto files needed)",
    )
    .argument("<method>", "the method as <package>.<Service>/<Method>, e.g. hello.v1.HelloService/SayHello", parseTargetArg)
    .option("-d, --data <json>", "the request as JSON; @<file> reads a file, @- stdin (default: stdin)", parseDataArg)
    .addHelpText("after", HELP)
    .action((target, flags) =>
      run((session) =>
        session.call(async (options, output) => {
          // The schema lookup is not the call: its headers and trailers are not the call's.
          const { onHeader: _onHeader, onTrailer: _onTrailer, ...lookupOptions } = options;
          const reflection = createServerReflection((service) => session.client(service, { http2: true }), lookupOptions);
          const { desc: method, registry } = await createReflectionSchema(reflection).method(target);
          if (method.methodKind === "bidi_streaming") session.requireHttp2(method.name);

          const data = flags.data;
          const call = (session.client(method.parent) as unknown as Record<string, DynamicMethod>)[method.localName];
          if (call === undefined) throw new Error(`connect made no client method for ${method.name}`);
          const print = (response: Message) =>
            output.message(method.output, response, JSON.stringify(toJson(method.output, response, { registry })), registry);

          if (method.methodKind === "unary" || method.methodKind === "server_streaming") {
            const request = parseSingleRequest(method.input, data ?? (await session.text()), registry, method.name);
            if (method.methodKind === "unary") {
              print(await (call(request, options) as Promise<Message>));
            } else {
              // A stream: no default deadline (as for replies), unless --timeout gives one.
              const streamOptions = session.timeoutMs === undefined ? { ...options, timeoutMs: 0 } : options;
              for await (const response of call(request, streamOptions) as AsyncIterable<Message>) print(response);
            }
            return;
          }
          // From -d, every request is parsed before the call starts; from stdin, each line as it comes.
          const parsed =
            data !== undefined
              ? parseRequestList(method.input, data, registry)
              : parseRequestLines(method.input, session.lines(), registry);
          const requests = (async function* () {
            yield* parsed;
          })();
          // Streams: no default deadline, as for greetings and bidi, unless --timeout gives one.
          const callOptions = session.timeoutMs === undefined ? { ...options, timeoutMs: 0 } : options;
          if (method.methodKind === "client_streaming") {
            print(await (call(requests, callOptions) as Promise<Message>));
          } else {
            for await (const response of call(requests, callOptions) as AsyncIterable<Message>) print(response);
          }
        }),
      ),
    );
}

function parseTargetArg(text: string): MethodTarget {
  const target = parseMethodTarget(text);
  if (target instanceof Error) throw new InvalidArgumentError(target.message);
  return target;
}

/** `-d`: the JSON itself, `@<file>` for a file's text, `@-` (undefined) for stdin. */
function parseDataArg(text: string): string | undefined {
  if (text === "@-") return undefined;
  if (!text.startsWith("@")) return text;
  try {
    return readFileSync(text.slice(1), "utf8");
  } catch (e) {
    throw new InvalidArgumentError(`cannot read ${text.slice(1)}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
