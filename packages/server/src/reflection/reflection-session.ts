import { Code } from "@connectrpc/connect";
import type { DescFile } from "@bufbuild/protobuf";
import type { ReflectionIndex } from "./reflection-index.js";

/**
 * One request of `ServerReflectionInfo`: the `message_request` oneof, which has the same
 * shape in `grpc.reflection.v1` and `grpc.reflection.v1alpha`.
 */
export type ReflectionRequest =
  | { case: "fileByFilename"; value: string }
  | { case: "fileContainingSymbol"; value: string }
  | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
  | { case: "allExtensionNumbersOfType"; value: string }
  | { case: "listServices"; value: string }
  | { case: undefined; value?: undefined };

/**
 * The answer to one request: the `message_response` oneof, the same in both versions (as
 * plain objects, which `create()` accepts for either version's response message).
 */
export type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/** Answers the requests of one reflection stream. */
export interface ReflectionSession {
  /** Answers one request. Errors are answers too (`errorResponse`); it never throws. */
  answer(request: ReflectionRequest): ReflectionAnswer;
}

/**
 * Creates the state of one `ServerReflectionInfo` stream. As in grpc-go, a file descriptor
 * response carries the requested file and those of its transitive imports that this stream
 * has not sent yet, so a client that keeps what it received can resolve every name while
 * each file crosses the wire once. The requested file itself is always sent.
 *
 * @example
 * const session = createReflectionSession(index);
 * session.answer({ case: "fileContainingSymbol", value: "hello.v1.HelloService" });
 * // → fileDescriptorResponse: hello/v1/hello.proto, buf/validate/validate.proto, …
 */
export function createReflectionSession(index: ReflectionIndex): ReflectionSession {
  const sent = new Set<string>();

  const filesResponse = (file: DescFile): ReflectionAnswer => {
    const fileDescriptorProto: Uint8Array[] = [];
    for (const f of index.fileWithDependencies(file)) {
      if (f === file || !sent.has(f.proto.name)) {
        sent.add(f.proto.name);
        fileDescriptorProto.push(index.fileDescriptorBytes(f));
      }
    }
    return { case: "fileDescriptorResponse", value: { fileDescriptorProto } };
  };

  return {
    answer(request) {
      switch (request.case) {
        case "listServices":
          return {
            case: "listServicesResponse",
            value: { service: index.serviceNames.map((name) => ({ name })) },
          };
        case "fileByFilename": {
          const file = index.fileByName(request.value);
          return file ? filesResponse(file) : notFound(`file "${request.value}" not found`);
        }
        case "fileContainingSymbol": {
          const file = index.fileContainingSymbol(request.value);
          return file ? filesResponse(file) : notFound(`symbol "${request.value}" not found`);
        }
        case "fileContainingExtension": {
          const { containingType, extensionNumber } = request.value;
          const file = index.fileContainingExtension(containingType, extensionNumber);
          return file ? filesResponse(file) : notFound(`extension ${extensionNumber} of message "${containingType}" not found`);
        }
        case "allExtensionNumbersOfType": {
          const numbers = index.extensionNumbersOf(request.value);
          return numbers
            ? {
                case: "allExtensionNumbersResponse",
                value: { baseTypeName: request.value.replace(/^\./, ""), extensionNumber: numbers },
              }
            : notFound(`message type "${request.value}" not found`);
        }
        default:
          return error(Code.InvalidArgument, "empty request: set one of the message_request fields");
      }
    },
  };
}

function notFound(message: string): ReflectionAnswer {
  return error(Code.NotFound, message);
}

function error(code: Code, errorMessage: string): ReflectionAnswer {
  // Code's numeric values are the gRPC status codes the protocol carries in error_code.
  return { case: "errorResponse", value: { errorCode: code, errorMessage } };
}
