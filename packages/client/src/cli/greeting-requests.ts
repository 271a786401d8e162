import type { MessageInitShape } from "@bufbuild/protobuf";
import type { HelloRequestSchema } from "@hello/sdk";

/** One HelloRequest per greeting, as the greetings come (for the streaming commands). */
export async function* greetingRequests(
  greetings: AsyncIterable<string> | Iterable<string>,
): AsyncGenerator<MessageInitShape<typeof HelloRequestSchema>> {
  for await (const greeting of greetings) {
    yield { greeting };
  }
}
