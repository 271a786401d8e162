import { create } from "@bufbuild/protobuf";
import { Command } from "@commander-js/extra-typings";
import { reflectionV1 } from "@hello/sdk";
import type { RunInSession } from "./cli-session.js";
import { createServerReflection } from "./server-reflection.js";

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
          const names = await createServerReflection((service) => session.client(service), options).listServices();
          for (const name of names) {
            const message = create(reflectionV1.ServiceResponseSchema, { name });
            output.message(reflectionV1.ServiceResponseSchema, message, name);
          }
        }),
      ),
    );
}
