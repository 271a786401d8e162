import { Command } from "@commander-js/extra-typings";
import { Code, ConnectError } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus, HealthCheckResponseSchema } from "@hello/sdk";
import type { RunInSession } from "./cli-session.js";

/** `hello health [service]`: gRPC health checking (grpc.health.v1.Health/Check). */
export function createHealthCommand(run: RunInSession) {
  return new Command("health")
    .description(
      "check the health of the server, or of one of its services (grpc.health.v1 Check); prints the serving status, and fails with UNAVAILABLE (14) unless it is SERVING",
    )
    .argument("[service]", 'fully-qualified service name, e.g. hello.v1.HelloService (default: "", the whole server)', "")
    .addHelpText("after", "\nExamples:\n  hello health                           # SERVING\n  hello health hello.v1.HelloService")
    .action((service) =>
      run((session) =>
        session.call(async (options, output) => {
          const response = await session.client(Health).check({ service }, options);
          const status = HealthCheckResponse_ServingStatus[response.status] ?? String(response.status);
          output.message(HealthCheckResponseSchema, response, status);
          if (response.status !== HealthCheckResponse_ServingStatus.SERVING) {
            // A health check is for scripts and probes: anything but SERVING must fail.
            const subject = service === "" ? "the server" : `service "${service}"`;
            throw new ConnectError(`${subject} is ${status}`, Code.Unavailable);
          }
        }),
      ),
    );
}
