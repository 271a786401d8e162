import type { Writable } from "node:stream";
import { type DescMessage, type JsonValue, type MessageShape, type Registry, toJson } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";
import { describeErrorDetails, errorDetailsToJson } from "./error-details.js";
import { codeName } from "./status-code.js";

/** How a call ended, for its final status. */
export interface CallOutcome {
  /** Undefined when the call succeeded. */
  readonly error: ConnectError | undefined;
  /** Response headers. When an error came without them, the metadata the error carried. */
  readonly headers: Headers;
  /** Response trailers; empty when the call failed before they could be told apart. */
  readonly trailers: Headers;
}

/** Options of {@link createCallOutput}. */
export interface CallOutputOptions {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** One JSON object per line on stdout instead of text. */
  readonly json: boolean;
  /** Text mode: print response headers and trailers on stderr. */
  readonly verbose: boolean;
}

/** Prints what a call receives, as it arrives. */
export interface CallOutput {
  /**
   * A response message: `text` for people, the message's JSON in JSON mode. `registry`
   * resolves the types of `Any` fields, e.g. for messages of a schema from reflection.
   */
  message<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, text: string, registry?: Registry): void;
  /** Response headers, as soon as they arrive. */
  headers(headers: Headers): void;
  /** The end of the call. */
  status(outcome: CallOutcome): void;
}

/**
 * Creates the printer of a call. Text mode: messages on stdout, one per line; errors on
 * stderr as `error: <CODE>: <message>` followed by the readable error details. JSON mode
 * (for scripts): stdout only, one object per line — `{"message": {…}}` for each message,
 * then `{"status": {code, codeName, message, details, headers, trailers}}`.
 */
export function createCallOutput(options: CallOutputOptions): CallOutput {
  const { stdout, stderr } = options;
  if (options.json) {
    const line = (value: JsonValue) => stdout.write(`${JSON.stringify(value)}\n`);
    return {
      message(schema, message, _text, registry) {
        line({ message: toJson(schema, message, registry ? { registry } : {}) });
      },
      headers() {},
      status({ error, headers, trailers }) {
        line({
          status: {
            code: error?.code ?? 0,
            codeName: codeName(error?.code ?? 0),
            message: error?.rawMessage ?? "",
            details: error ? errorDetailsToJson(error) : [],
            headers: headersToJson(headers),
            trailers: headersToJson(trailers),
          },
        });
      },
    };
  }
  const printMetadata = (kind: string, metadata: Headers) => {
    if (options.verbose) {
      metadata.forEach((value, key) => stderr.write(`${kind} ${key}: ${value}\n`));
    }
  };
  let headersShown = false;
  return {
    message(_schema, _message, text) {
      stdout.write(`${text}\n`);
    },
    headers(headers) {
      headersShown = true;
      printMetadata("header", headers);
    },
    status({ error, headers, trailers }) {
      if (!headersShown) printMetadata("header", headers);
      printMetadata("trailer", trailers);
      if (error) {
        stderr.write(`error: ${codeName(error.code)}: ${error.rawMessage}\n`);
        for (const line of describeErrorDetails(error)) {
          stderr.write(`  ${line}\n`);
        }
      }
    },
  };
}

/** Headers as a JSON object; repeated keys are joined with ", " (as `Headers.get` does). */
function headersToJson(headers: Headers): { [key: string]: string } {
  const json: { [key: string]: string } = {};
  headers.forEach((value, key) => {
    json[key] = value;
  });
  return json;
}
