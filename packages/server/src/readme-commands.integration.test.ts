/**
 * Runs every command of the README's "Call it" block exactly as written, against a real
 * server on the port the README names (8080), from the repository root.
 */
import { exec } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { createHelloServer, type HelloServer } from "./server.js";

const root = join(__dirname, "../../..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const block = /<!-- readme-test:begin -->\s*```sh\n([\s\S]*?)```\s*<!-- readme-test:end -->/.exec(readme)?.[1] ?? "";
const commands = block.split("\n").filter((line) => line.trim() !== "");

let server: HelloServer;
beforeAll(async () => {
  server = createHelloServer({ port: 8080, host: "::" });
  await server.listen().catch((e: Error) => {
    throw new Error(`the README's commands need port 8080 free (is a server already running?): ${e.message}`);
  });
});
afterAll(() => server.close(1_000));

it("finds the README's commands", () => {
  // Every method over every protocol, plus plain curl.
  expect(commands.length).toBeGreaterThanOrEqual(14);
});

it.each(commands)("%s", async (command) => {
  const { stdout } = await promisify(exec)(command, { cwd: root, timeout: 30_000 });
  const method = /HelloService\/(\w+)/.exec(command)?.[1];
  const replies = [...stdout.matchAll(/"reply":\s*"([^"]*)"/g)].map((m) => m[1]);
  switch (method) {
    case "SayHello":
      expect(replies).toEqual(["Hello, hi!"]);
      break;
    case "LotsOfReplies":
      expect(replies).toEqual(["Hello, hi! (reply 1 of 3)", "Hello, hi! (reply 2 of 3)", "Hello, hi! (reply 3 of 3)"]);
      break;
    case "LotsOfGreetings":
      expect(replies).toEqual(["Hello, a, b!"]);
      break;
    case "BidiHello":
      expect(replies).toEqual(["Hello, ping!", "Hello, pong!"]);
      break;
    default:
      throw new Error(`no expectation for ${command}`);
  }
});
