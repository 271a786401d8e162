import { Command } from "@commander-js/extra-typings";
import { HelloResponseSchema } from "@hello/sdk";
import type { RunInSession } from "./cli-session.js";

/** `hello say <greeting>`: one greeting, one reply (unary SayHello). */
export function createSayCommand(run: RunInSession) {
  return new Command("say")
    .description("send one greeting and print the reply (unary SayHello)")
    .argument("<greeting>", "the greeting, 1 to 1,000 characters")
    .addHelpText("after", "\nExample:\n  hello say world            # Hello, world!")
    .action((greeting) =>
      run((session) =>
        session.call(async (options, output) => {
          const response = await session.hello.sayHello({ greeting }, options);
          output.message(HelloResponseSchema, response, response.reply);
        }),
      ),
    );
}
