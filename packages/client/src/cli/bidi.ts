import { Command } from "@commander-js/extra-typings";
import { HelloResponseSchema } from "@hello/sdk";
import type { RunInSession } from "./cli-session.js";
import { greetingRequests } from "./greeting-requests.js";

/** `hello bidi`: each stdin line is sent at once, each reply printed at once (BidiHello). */
export function createBidiCommand(run: RunInSession) {
  return new Command("bidi")
    .description(
      "send each line of stdin as soon as it is read and print each reply as soon as it arrives (bidi stream BidiHello; needs HTTP/2); ends at EOF (Ctrl-D)",
    )
    .addHelpText("after", "\nExample:\n  hello bidi                 # type a greeting, Enter, see its reply; Ctrl-D ends")
    .action(() =>
      run((session) =>
        session.call(
          async (options, output) => {
            session.requireHttp2("BidiHello");
            for await (const response of session.hello.bidiHello(greetingRequests(session.lines()), options)) {
              output.message(HelloResponseSchema, response, response.reply);
            }
          },
          { waitsOnInput: true },
        ),
      ),
    );
}
