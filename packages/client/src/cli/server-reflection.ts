import { type DescService, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { type CallOptions, type Client, Code, ConnectError } from "@connectrpc/connect";
import { reflectionV1, reflectionV1alpha } from "@hello/sdk";

/** One request of the reflection stream, in the shape v1 and v1alpha share. */
type ReflectionRequest = MessageInitShape<typeof reflectionV1.ServerReflectionRequestSchema> &
  MessageInitShape<typeof reflectionV1alpha.ServerReflectionRequestSchema>;

/** One answer of the reflection stream, from either version. */
type ReflectionAnswer = (reflectionV1.ServerReflectionResponse | reflectionV1alpha.ServerReflectionResponse)["messageResponse"];

/** Gives a client of a service on the server, e.g. `session.client`. */
export type ClientOf = <S extends DescService>(service: S) => Client<S>;

/** gRPC server reflection as the CLI asks it: names of services, and file descriptors. */
export interface ServerReflection {
  /** The fully-qualified names of the services the server offers. */
  listServices(): Promise<string[]>;
  /**
   * The file that declares `symbol` (a service, method, message, enum, …), and whichever of
   * its imports the server sends along. NOT_FOUND when the server does not know the symbol.
   */
  fileContainingSymbol(symbol: string): Promise<FileDescriptorProto[]>;
  /** The files with these import paths (e.g. "google/protobuf/duration.proto"). */
  filesByName(names: readonly string[]): Promise<FileDescriptorProto[]>;
}

/**
 * Creates the reflection client of one CLI command, over `grpc.reflection.v1` and, when
 * the server answers that with UNIMPLEMENTED, over `grpc.reflection.v1alpha` (servers that
 * predate v1; the messages are the same). Each question is one bidi stream carrying all
 * its requests, read to its end so that its status arrives. `options` apply to each stream.
 *
 * @example
 * const reflection = createServerReflection((s) => session.client(s), { signal });
 * await reflection.listServices(); // ["grpc.health.v1.Health", "hello.v1.HelloService", …]
 */
export function createServerReflection(clientOf: ClientOf, options: CallOptions): ServerReflection {
  let version: "v1" | "v1alpha" | undefined;

  /** The answers to `requests`, in order, from whichever version the server speaks. */
  const ask = async (requests: ReflectionRequest[]): Promise<ReflectionAnswer[]> => {
    if (version !== "v1alpha") {
      try {
        const answers = await answersOf(clientOf(reflectionV1.ServerReflection).serverReflectionInfo(stream(requests), options));
        version = "v1";
        return answers;
      } catch (e) {
        if (version === "v1" || ConnectError.from(e).code !== Code.Unimplemented) throw e;
      }
    }
    try {
      const answers = await answersOf(clientOf(reflectionV1alpha.ServerReflection).serverReflectionInfo(stream(requests), options));
      version = "v1alpha";
      return answers;
    } catch (e) {
      const error = ConnectError.from(e);
      if (error.code !== Code.Unimplemented) throw error;
      throw new ConnectError(
        "the server does not offer gRPC server reflection (grpc.reflection.v1 or v1alpha), which this command needs for the schema",
        Code.Unimplemented,
        error.metadata,
        undefined,
        error,
      );
    }
  };

  const files = (answer: ReflectionAnswer | undefined): FileDescriptorProto[] => {
    if (answer?.case !== "fileDescriptorResponse") throw unexpected(answer, "fileDescriptorResponse");
    return answer.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
  };

  return {
    async listServices() {
      const [answer] = await ask([{ messageRequest: { case: "listServices", value: "" } }]);
      if (answer?.case !== "listServicesResponse") throw unexpected(answer, "listServicesResponse");
      return answer.value.service.map((service) => service.name);
    },
    async fileContainingSymbol(symbol) {
      const [answer] = await ask([{ messageRequest: { case: "fileContainingSymbol", value: symbol } }]);
      return files(answer);
    },
    async filesByName(names) {
      if (names.length === 0) return [];
      const answers = await ask(names.map((name) => ({ messageRequest: { case: "fileByFilename", value: name } })));
      return answers.flatMap(files);
    },
  };
}

async function* stream(requests: readonly ReflectionRequest[]): AsyncGenerator<ReflectionRequest> {
  yield* requests;
}

/** Every answer of the stream, read to its end so that the call's status arrives. */
async function answersOf(
  responses: AsyncIterable<reflectionV1.ServerReflectionResponse | reflectionV1alpha.ServerReflectionResponse>,
): Promise<ReflectionAnswer[]> {
  const answers: ReflectionAnswer[] = [];
  for await (const response of responses) answers.push(response.messageResponse);
  return answers;
}

/** The error for an answer that is not of kind `expected`: its own error response, if it is one. */
function unexpected(answer: ReflectionAnswer | undefined, expected: string): ConnectError {
  if (answer?.case === "errorResponse") {
    const { errorCode, errorMessage } = answer.value;
    return new ConnectError(errorMessage, errorCode in Code ? (errorCode as Code) : Code.Unknown);
  }
  return new ConnectError(`server reflection answered ${answer?.case ?? "nothing"} instead of ${expected}`, Code.Unknown);
}
