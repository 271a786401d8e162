import { create } from "@bufbuild/protobuf";
import { Command } from "@commander-js/extra-typings";
import { Code, ConnectError } from "@connectrpc/connect";
import { reflectionV1, reflectionV1alpha } from "@hello/sdk";
import type { RunInSession } from "./cli-session.js";

/** The one request of a listing: list_services (its value is ignored). */
async function* listServicesRequest() {
  yield { messageRequest: { case: "listServices" as const, value: "" } };
}

/** `hello list`: the services the server offers, through server reflection. */
export function createListCommand(run: RunInSession) {
  return new Command("list")
    .description(
      "list the services of the server through gRPC server reflection (grpc.reflection.v1, falling back to v1alpha); needs HTTP/2",
    )
    .addHelpText("after", "\nExample:\n  hello list                 # one fully-qualified service name per line")
    .action(() =>
      run((session) =>
        session.call(async (options, output) => {
          session.requireHttp2("ServerReflectionInfo");
          let names: string[];
          try {
            const v1 = session.client(reflectionV1.ServerReflection);
            names = await serviceNamesOf(v1.serverReflectionInfo(listServicesRequest(), options));
          } catch (e) {
            if (ConnectError.from(e).code !== Code.Unimplemented) throw e;
            // Servers that predate v1 speak only v1alpha, which has the same messages.
            const v1alpha = session.client(reflectionV1alpha.ServerReflection);
            names = await serviceNamesOf(v1alpha.serverReflectionInfo(listServicesRequest(), options));
          }
          for (const name of names) {
            const message = create(reflectionV1.ServiceResponseSchema, { name });
            output.message(reflectionV1.ServiceResponseSchema, message, name);
          }
        }),
      ),
    );
}

/**
 * The service names of the answer to list_services, or its error response as an error.
 * Reads the stream to its end, so that the call's trailers and status arrive.
 */
async function serviceNamesOf(
  responses: AsyncIterable<reflectionV1.ServerReflectionResponse | reflectionV1alpha.ServerReflectionResponse>,
): Promise<string[]> {
  let names: string[] | undefined;
  for await (const { messageResponse } of responses) {
    if (messageResponse.case === "listServicesResponse") {
      names = messageResponse.value.service.map((service) => service.name);
    } else if (messageResponse.case === "errorResponse") {
      const { errorCode, errorMessage } = messageResponse.value;
      throw new ConnectError(errorMessage, errorCode in Code ? (errorCode as Code) : Code.Unknown);
    }
  }
  if (names === undefined) {
    throw new ConnectError("server reflection ended without answering list_services", Code.Unknown);
  }
  return names;
}
