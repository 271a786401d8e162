import type { CallObserver, CallOutcome, PlaygroundMethod } from "./run-call.js";

/** What a call card shows in its title. */
export interface CallViewOptions {
  id: number;
  method: PlaygroundMethod;
  protocol: string;
  baseUrl: string;
}

/**
 * One call as a card: status, timing, messages as they arrive, response headers and
 * trailers. Everything from the server goes in as text, never as HTML.
 */
export function createCallView(options: CallViewOptions): { element: HTMLElement; observer: CallObserver } {
  const titleId = `call-${options.id}-title`;
  const status = el("output", { class: "status", "data-testid": "call-status", "data-code": "" }, "running…");
  const title = el(
    "h3",
    { id: titleId },
    `#${options.id} ${options.method} `,
    el("span", { class: "tag" }, options.protocol),
    el("span", { class: "url" }, options.baseUrl),
  );
  const error = el("p", { class: "error", "data-testid": "call-error", hidden: "" });
  const timing = el("p", { class: "timing", "data-testid": "call-timing" }, "waiting for the server…");
  const messageCount = el("span", {}, "0");
  const messages = el("ol", { class: "messages", "data-testid": "call-messages" });
  const headers = metadataTable("call-headers");
  const trailers = metadataTable("call-trailers");
  const errorMetadata = el(
    "section",
    { hidden: "" },
    el("h4", {}, "Error metadata (headers and trailers)"),
    metadataTable("call-error-metadata"),
  );

  const element = el(
    "article",
    { class: "call", "data-testid": "call", "data-call-id": String(options.id), "data-state": "running", "aria-labelledby": titleId },
    el("header", {}, title, status),
    error,
    timing,
    el("section", {}, el("h4", {}, "Messages (", messageCount, ")"), messages),
    el(
      "div",
      { class: "metadata" },
      el("section", {}, el("h4", {}, "Response headers"), headers),
      el("section", {}, el("h4", {}, "Trailers"), trailers),
      errorMetadata,
    ),
  );

  const times: { headers?: number; first?: number; last?: number } = {};
  const showTiming = (totalMs?: number) => {
    const parts = [
      times.headers !== undefined ? `headers ${formatMs(times.headers)}` : undefined,
      times.first !== undefined ? `first message ${formatMs(times.first)}` : undefined,
      times.last !== undefined && times.last !== times.first ? `last message ${formatMs(times.last)}` : undefined,
      totalMs !== undefined ? `total ${formatMs(totalMs)}` : undefined,
    ];
    timing.textContent = parts.filter(Boolean).join(" · ") || "waiting for the server…";
  };

  const observer: CallObserver = {
    headers(h, atMs) {
      times.headers = atMs;
      fillTable(headers, h);
      showTiming();
    },
    message(reply, atMs) {
      times.first ??= atMs;
      times.last = atMs;
      messages.append(
        el(
          "li",
          { "data-testid": "call-message" },
          el("span", { class: "reply" }, reply),
          el("span", { class: "at" }, `+${formatMs(atMs)}`),
        ),
      );
      messageCount.textContent = String(messages.childElementCount);
      showTiming();
    },
    trailers(t, atMs) {
      fillTable(trailers, t);
      showTiming(atMs);
    },
    end(outcome: CallOutcome) {
      status.textContent = outcome.code;
      status.dataset["code"] = outcome.code;
      status.classList.add(outcome.code === "ok" ? "ok" : "failed");
      if (outcome.code !== "ok") {
        error.hidden = false;
        error.textContent = outcome.message || "(no message)";
        if (outcome.details.length > 0) {
          error.append(el("span", { class: "details" }, `details: ${outcome.details.join(", ")}`));
        }
      }
      // Tables that never got anything say so, rather than "none yet".
      for (const table of [headers, trailers]) {
        if (table.querySelector("tr[data-header]") === null) fillTable(table, new Headers());
      }
      const table = errorMetadata.querySelector("table");
      if (outcome.metadata && table && fillTable(table, outcome.metadata) > 0) {
        errorMetadata.hidden = false;
      }
      showTiming(outcome.atMs);
      element.dataset["state"] = "done";
    },
  };
  return { element, observer };
}

function metadataTable(testId: string): HTMLTableElement {
  return el("table", { "data-testid": testId }, el("tbody", {}, el("tr", {}, el("td", { class: "empty", colspan: "2" }, "none yet"))));
}

/** Replaces the rows of `table` with one row per header; returns how many. */
function fillTable(table: HTMLTableElement, headers: Headers): number {
  const rows: HTMLElement[] = [];
  headers.forEach((value, name) => {
    rows.push(el("tr", { "data-header": name }, el("th", { scope: "row" }, name), el("td", {}, value)));
  });
  const body = table.tBodies[0] ?? table.appendChild(document.createElement("tbody"));
  body.replaceChildren(...(rows.length > 0 ? rows : [el("tr", {}, el("td", { class: "empty", colspan: "2" }, "none"))]));
  return rows.length;
}

function formatMs(ms: number): string {
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(2)} s`;
}

/** Creates an element with attributes and children (text children become text nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}
