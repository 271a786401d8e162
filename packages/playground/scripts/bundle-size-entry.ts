// The smallest useful browser program: one typed SayHello over Connect with @hello/client.
import { createHelloClient } from "@hello/client";

const client = createHelloClient({ baseUrl: location.origin, protocol: "connect" });
export const reply = client.sayHello({ greeting: "hi" }).then((res) => res.reply);
