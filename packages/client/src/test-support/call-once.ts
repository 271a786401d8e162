/**
 * Makes one SayHello call with `createHelloClient(<options JSON>)` and prints what happened
 * as one JSON line: the status code, the time it took, and the channel's state changes.
 *
 * Tests run it as a child process (`node --conditions=@hello/source --import tsx …`) where
 * the outcome depends on Node's own errors: jest runs tests in a separate realm, where
 * errors made by Node (ECONNREFUSED, …) are not `instanceof Error`, so connect cannot read
 * their codes (the client's normalizeTransportErrors reads them by duck typing, in any
 * realm). A plain Node process is the realm production runs in, where connect can.
 */
import * as net from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { type ChannelState, createHelloClient, type NodeHelloClientOptions } from "../index.js";

// Counts the TCP connections the client opens: one per attempt against a closed port.
let connects = 0;
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  connects++;
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof connect;

const options = JSON.parse(process.argv[2] ?? "{}") as NodeHelloClientOptions;
const client = createHelloClient(options);
const states: ChannelState[] = [];
client.channel?.onStateChange((state) => states.push(state));
const started = Date.now();
let code = "OK";
let message = "";
try {
  await client.sayHello({ greeting: "anyone?" });
} catch (e) {
  const error = ConnectError.from(e);
  code = Code[error.code];
  message = error.rawMessage;
}
const elapsedMs = Date.now() - started;
const result = { code, message, elapsedMs, connects, states: [...states], channelState: client.channel?.state() };
client.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
