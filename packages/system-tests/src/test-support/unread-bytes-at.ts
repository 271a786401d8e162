import { readFileSync } from "node:fs";

/** The state of an established connection in /proc/net/tcp. */
const ESTABLISHED = "01";

/**
 * Bytes that have arrived on the established IPv4 connections whose local port is `port`
 * and that the process owning them has not read yet: for a server that hangs, the requests
 * waiting for it. Linux only (/proc/net/tcp, columns `local_address`, `st` and
 * `tx_queue:rx_queue`, hexadecimal).
 */
export function unreadBytesAt(port: number): number {
  const localPort = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  let total = 0;
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const [, local, , state, queues] = line.trim().split(/\s+/);
    if (local?.endsWith(localPort) && state === ESTABLISHED) {
      total += Number.parseInt(queues?.split(":")[1] ?? "0", 16);
    }
  }
  return total;
}
