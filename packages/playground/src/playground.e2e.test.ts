/**
 * The built playground in a real browser (Debian's Chromium, driven by playwright-core),
 * served by a real server on a free port (`staticDir`), calling it over Connect and
 * gRPC-Web from the same origin — and once across origins, to prove CORS.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createHelloServer, type HelloServer } from "@hello/server";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";

const packageDir = join(__dirname, "..");
const distDir = join(packageDir, "dist");
const resultsDir = join(packageDir, "test-results");
const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
/** How long one call may take to show its outcome on the page. */
const CALL_TIMEOUT_MS = 10_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let browser: Browser | undefined;
let page: Page;
const servers: HelloServer[] = [];
let app: HelloServer;

beforeAll(async () => {
  buildIfStale();
  app = await startServer({ staticDir: distDir });
  // Playwright gives the browser a fresh, temporary profile (--user-data-dir) and removes it on close.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(CALL_TIMEOUT_MS);
  const response = await page.goto(`${app.url}/`);
  expect(response?.status()).toBe(200);
  await page.getByRole("heading", { name: "hello-rpc playground" }).waitFor();
}, 120_000);

afterAll(async () => {
  await withTimeout(browser?.close(), 10_000).catch(() => {});
  await Promise.all(servers.map((s) => s.close(0)));
}, 30_000);

describe.each(["connect", "grpc-web"] as const)("the playground over %s", (protocol) => {
  it("shows a unary reply, status ok, the x-request-id header and timing", async () => {
    const call = await runCall("say-hello", { protocol, greeting: "browser" });
    expect(await text(call, "call-status")).toBe("ok");
    expect(await call.getByTestId("call-message").allTextContents()).toEqual([expect.stringContaining("Hello, browser!")]);
    expect(await header(call, "call-headers", "x-request-id")).toMatch(UUID);
    // The page shows durations of a second or more in seconds ("1.27 s").
    expect(await text(call, "call-timing")).toMatch(/total (\d+ ms|\d+\.\d\d s)$/);
    // gRPC-Web carries trailers in the body; Connect unary sends them as trailer- headers.
    expect(await header(call, "call-trailers", "x-reply-count")).toBe("1");
  });

  it("shows every streamed reply, in order, as it arrives", async () => {
    const call = await runCall("lots-of-replies", { protocol, greeting: "stream", replyCount: "4", replyInterval: "150" });
    expect(await text(call, "call-status")).toBe("ok");
    const replies = await call.getByTestId("call-message").allTextContents();
    expect(replies).toHaveLength(4);
    replies.forEach((reply, i) => expect(reply).toContain(`Hello, stream! (reply ${i + 1} of 4)`));
    expect(await header(call, "call-trailers", "x-reply-count")).toBe("4");
  });

  it("shows messages before the stream ends", async () => {
    const call = await startCall("lots-of-replies", { protocol, greeting: "live", replyCount: "3", replyInterval: "1000" });
    await call.getByTestId("call-message").first().waitFor();
    expect(await call.getAttribute("data-state")).toBe("running");
    await done(call);
    expect(await call.getByTestId("call-message").count()).toBe(3);
  });

  it("shows invalid_argument naming the field for an empty greeting", async () => {
    const call = await runCall("say-hello", { protocol, greeting: "" });
    expect(await text(call, "call-status")).toBe("invalid_argument");
    expect(await text(call, "call-error")).toContain("greeting");
    expect(await call.getByTestId("call-message").count()).toBe(0);
  });

  it("shows deadline_exceeded after some messages when the timeout passes", async () => {
    const call = await runCall("lots-of-replies", {
      protocol,
      greeting: "slow",
      replyCount: "10",
      replyInterval: "500",
      timeout: "1200",
    });
    expect(await text(call, "call-status")).toBe("deadline_exceeded");
    const count = await call.getByTestId("call-message").count();
    expect(count).toBeGreaterThanOrEqual(1);
    expect(count).toBeLessThan(10);
  });
});

describe("calls to another origin", () => {
  it("work when the server allows the page's origin (CORS)", async () => {
    const api = await startServer({ corsOrigins: [app.url] });
    for (const protocol of ["connect", "grpc-web"] as const) {
      const call = await runCall("lots-of-replies", { protocol, baseUrl: api.url, greeting: "cors", replyCount: "2", replyInterval: "0" });
      expect(await text(call, "call-status")).toBe("ok");
      expect(await call.getByTestId("call-message").count()).toBe(2);
      // Readable across origins only because the server exposes these headers.
      expect(await header(call, "call-headers", "x-request-id")).toMatch(UUID);
      expect(await header(call, "call-trailers", "x-reply-count")).toBe("2");
    }
  });

  it("are refused by the browser when the server does not allow the page's origin", async () => {
    const api = await startServer({ corsOrigins: ["http://elsewhere.test"] });
    const call = await runCall("say-hello", { protocol: "connect", baseUrl: api.url, greeting: "cors" });
    // fetch fails without a response: connect reports it as unknown / unavailable.
    expect(await text(call, "call-status")).toMatch(/^(unknown|unavailable)$/);
    expect(await call.getByTestId("call-message").count()).toBe(0);
  });
});

describe("the static files", () => {
  it("leave RPC paths to the RPC handler, even for GET", async () => {
    const query = "connect=v1&encoding=json&message=" + encodeURIComponent('{"greeting":"get"}');
    const res = await fetch(`${app.url}/hello.v1.HelloService/SayHello?${query}`);
    expect(await res.json()).toEqual({ reply: "Hello, get!" });
  });

  it("save a screenshot of the page", async () => {
    await page.getByTestId("clear").click();
    await runCall("lots-of-replies", {
      protocol: "grpc-web",
      baseUrl: "",
      greeting: "screenshot",
      replyCount: "3",
      replyInterval: "100",
      timeout: "10000",
    });
    await runCall("say-hello", { protocol: "connect", greeting: "" });
    await runCall("say-hello", { protocol: "connect", greeting: "playground" });
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: join(resultsDir, "playground.png"), fullPage: true });
    expect(existsSync(join(resultsDir, "playground.png"))).toBe(true);
  });
});

interface FormInput {
  protocol: "connect" | "grpc-web";
  baseUrl?: string;
  greeting?: string;
  replyCount?: string;
  replyInterval?: string;
  timeout?: string;
}

let lastCallId = 0;

/** Fills the form (unset fields get their defaults back), presses a button, returns the new call's card. */
async function startCall(button: "say-hello" | "lots-of-replies", input: FormInput): Promise<Locator> {
  await page.getByLabel("Protocol").selectOption(input.protocol);
  await page.getByLabel("Server URL").fill(input.baseUrl ?? "");
  await page.getByLabel("Greeting").fill(input.greeting ?? "world");
  await page.getByLabel("Reply count").fill(input.replyCount ?? "3");
  await page.getByLabel("Reply interval (ms)").fill(input.replyInterval ?? "200");
  await page.getByLabel("Timeout (ms)").fill(input.timeout ?? "10000");
  await page.getByTestId(button).click();
  // The page numbers its calls 1, 2, 3, … for as long as it is open.
  const id = ++lastCallId;
  const card = page.locator(`[data-testid="call"][data-call-id="${id}"]`);
  await card.waitFor();
  return card;
}

/** {@link startCall}, then waits for the call's outcome. */
async function runCall(button: "say-hello" | "lots-of-replies", input: FormInput): Promise<Locator> {
  return done(await startCall(button, input));
}

async function done(card: Locator): Promise<Locator> {
  await card.and(page.locator('[data-state="done"]')).waitFor({ timeout: CALL_TIMEOUT_MS });
  return card;
}

async function text(card: Locator, testId: string): Promise<string> {
  return ((await card.getByTestId(testId).textContent()) ?? "").trim();
}

async function header(card: Locator, table: string, name: string): Promise<string | null> {
  const cell = card.getByTestId(table).locator(`tr[data-header="${name}"] td`);
  return (await cell.count()) === 0 ? null : await cell.textContent();
}

async function startServer(options: Parameters<typeof createHelloServer>[0]): Promise<HelloServer> {
  const server = createHelloServer({ port: 0, host: "127.0.0.1", ...options });
  servers.push(server);
  await server.listen();
  return server;
}

/**
 * Uses the built page when it is newer than every source of it (turbo builds it before
 * `test`); builds it otherwise, e.g. when jest runs on its own after an edit.
 */
function buildIfStale(): void {
  const built = join(distDir, "index.html");
  const sources = [join(packageDir, "index.html"), join(packageDir, "vite.config.ts"), ...filesUnder(join(packageDir, "src"))];
  const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
  if (sources.every((file) => statSync(file).mtimeMs <= builtAt)) return;
  execFileSync(join(packageDir, "node_modules/.bin/vite"), ["build", "--logLevel", "warn"], {
    cwd: packageDir,
    stdio: "inherit",
    timeout: 90_000,
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : entry.name.endsWith(".test.ts") ? [] : [join(dir, entry.name)],
  );
}

function withTimeout<T>(promise: Promise<T> | undefined, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.resolve(promise),
    new Promise<undefined>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
