import { Command } from "@commander-js/extra-typings";
import { HelloResponseSchema } from "@hello/sdk";
import type { RunInSession } from "./cli-session.js";
import { greetingRequests } from "./greeting-requests.js";

/** `hello greetings`: a stream of greetings, one reply at the end (LotsOfGreetings). */
export function createGreetingsCommand(run: RunInSession) {
  return new Command("greetings")
    .description(
      "send greetings — the arguments, or else one per line of stdin (blank lines skipped) — and print the one reply after the last (client stream LotsOfGreetings)",
    )
    .argument("[greeting...]", "greetings to send instead of reading stdin")
    .addHelpText("after", "\nExamples:\n  printf 'Ann\\nBob\\n' | hello greetings     # Hello, Ann, Bob!\n  hello greetings Ann Bob")
    .action((greetings) =>
      run((session) =>
        session.call(
          async (options, output) => {
            const source = greetings.length > 0 ? greetings : session.lines();
            const response = await session.hello.lotsOfGreetings(greetingRequests(source), options);
            output.message(HelloResponseSchema, response, response.reply);
          },
          { waitsOnInput: greetings.length === 0, streams: true },
        ),
      ),
    );
}
