/**
 * The playground page: reads the form, calls HelloService with `@hello/client` (its
 * browser build, picked by the "browser" export condition) and shows each call as a card.
 */
import { createHelloClient, type HelloProtocol } from "@hello/client";
import { createCallView } from "./call-view.js";
import { randomRequestId } from "./request-id.js";
import { type CallInput, type PlaygroundMethod, runCall } from "./run-call.js";
import "./style.css";

const form = byId("call-form", HTMLFormElement);
const calls = byId("calls", HTMLElement);
const cancel = byId("cancel", HTMLButtonElement);
const formError = byId("form-error", HTMLElement);

const running = new Set<AbortController>();
let nextId = 1;

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const submitter = (event as SubmitEvent).submitter;
  const method = (submitter instanceof HTMLButtonElement ? submitter.value : "SayHello") as PlaygroundMethod;
  const values = readForm();
  formError.hidden = typeof values !== "string";
  if (typeof values === "string") {
    formError.textContent = values;
    return;
  }
  void start(method, values);
});

cancel.addEventListener("click", () => {
  for (const controller of running) controller.abort();
});

byId("clear", HTMLButtonElement).addEventListener("click", () => {
  for (const card of [...calls.children]) {
    if ((card as HTMLElement).dataset["state"] === "done") card.remove();
  }
});

async function start(method: PlaygroundMethod, values: FormValues): Promise<void> {
  const client = createHelloClient({
    baseUrl: values.baseUrl,
    protocol: values.protocol,
    // Each call carries the deadline from the form (or none); no hidden default.
    timeoutMs: 0,
    requestId: randomRequestId,
  });
  const view = createCallView({ id: nextId++, method, protocol: values.protocol, baseUrl: values.baseUrl });
  calls.prepend(view.element);
  const controller = new AbortController();
  running.add(controller);
  cancel.disabled = false;
  try {
    await runCall(client, method, values.input, view.observer, controller.signal);
  } finally {
    running.delete(controller);
    cancel.disabled = running.size === 0;
  }
}

interface FormValues {
  protocol: HelloProtocol;
  baseUrl: string;
  input: CallInput;
}

/** The form's values, or a message saying which one is wrong. */
function readForm(): FormValues | string {
  const data = new FormData(form);
  const text = (name: string) => String(data.get(name) ?? "");
  const protocol = text("protocol");
  if (protocol !== "connect" && protocol !== "grpc-web") return `unknown protocol ${protocol}`;
  const baseUrl = (text("baseUrl").trim() || location.origin).replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]+/.test(baseUrl)) return "Server URL must start with http:// or https://";
  const numbers: Record<string, number> = {};
  for (const [name, label] of [
    ["replyCount", "Reply count"],
    ["replyIntervalMs", "Reply interval"],
    ["timeoutMs", "Timeout"],
  ] as const) {
    const value = Number(text(name) || "0");
    if (!Number.isInteger(value) || value < 0) return `${label} must be a whole number, 0 or more`;
    numbers[name] = value;
  }
  return {
    protocol,
    baseUrl,
    input: {
      // Sent as typed: an empty greeting is the server's to refuse (INVALID_ARGUMENT).
      greeting: text("greeting"),
      replyCount: numbers["replyCount"] ?? 0,
      replyIntervalMs: numbers["replyIntervalMs"] ?? 0,
      timeoutMs: numbers["timeoutMs"] ?? 0,
    },
  };
}

function byId<T extends HTMLElement>(id: string, type: { new (): T }): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`#${id} is missing from index.html`);
  return element;
}
