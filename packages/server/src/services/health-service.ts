import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { type Health, HealthCheckResponse_ServingStatus } from "@hello/sdk";
import type { HealthStatus, ServingStatus } from "../health/health-status.js";

const WIRE_STATUS: Record<ServingStatus, HealthCheckResponse_ServingStatus> = {
  SERVING: HealthCheckResponse_ServingStatus.SERVING,
  NOT_SERVING: HealthCheckResponse_ServingStatus.NOT_SERVING,
  SERVICE_UNKNOWN: HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN,
};

/**
 * The `grpc.health.v1.Health` handlers, reading from a {@link HealthStatus} store
 * (https://github.com/grpc/grpc/blob/master/doc/health-checking.md):
 *
 * - `Check` answers the service's status, or fails with NOT_FOUND for a service that has none.
 * - `Watch` sends the current status (SERVICE_UNKNOWN for an unknown service, and keeps the
 *   stream open as the spec asks), then a message on every change. It ends when the call is
 *   cancelled, or after NOT_SERVING when the store shuts down, so that open watches do not
 *   hold up a graceful shutdown; clients then watch again, and find the server gone.
 */
export function createHealthService(health: HealthStatus): ServiceImpl<typeof Health> {
  return {
    check(req) {
      const status = health.get(req.service);
      if (status === "SERVICE_UNKNOWN") {
        throw new ConnectError(`unknown service "${req.service}": this server reports no health status for it`, Code.NotFound);
      }
      return { status: WIRE_STATUS[status] };
    },

    async *watch(req, ctx) {
      for await (const status of health.watch(req.service, ctx.signal)) {
        yield { status: WIRE_STATUS[status] };
      }
    },
  };
}
