import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Command, InvalidArgumentError } from "@commander-js/extra-typings";
import { HelloResponseSchema } from "@hello/sdk";
import type { RunInSession } from "./cli-session.js";
import { parseDurationArg } from "./global-options.js";

/** `hello replies <greeting>`: one greeting, a stream of replies (LotsOfReplies). */
export function createRepliesCommand(run: RunInSession) {
  return new Command("replies")
    .description("send one greeting and print each reply as it arrives (server stream LotsOfReplies)")
    .argument("<greeting>", "the greeting, 1 to 1,000 characters")
    .option("--count <n>", "how many replies, at most 1,000 (default: the server's, 3)", parseCount)
    .option("--interval <duration>", "pause between replies, e.g. 250ms or 1s, at most 10s", parseDurationArg)
    .addHelpText("after", "\nExample:\n  hello replies world --count 5 --interval 200ms")
    .action((greeting, flags) =>
      run((session) =>
        session.call(
          async (options, output) => {
            const request = {
              greeting,
              ...(flags.count !== undefined ? { replyCount: flags.count } : {}),
              ...(flags.interval !== undefined ? { replyInterval: durationFromMs(flags.interval) } : {}),
            };
            for await (const response of session.hello.lotsOfReplies(request, options)) {
              output.message(HelloResponseSchema, response, response.reply);
            }
          },
          { streams: true },
        ),
      ),
    );
}

function parseCount(text: string): number {
  const n = Number(text);
  // reply_count is a uint32; the server enforces its own upper bound (1,000).
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n > 0xffff_ffff) {
    throw new InvalidArgumentError("must be a whole number, e.g. 5");
  }
  return n;
}
