/** The server the CLI calls when neither `--url` nor `HELLO_URL` says otherwise. */
export const DEFAULT_URL = "http://127.0.0.1:8080";

/** The environment of the CLI, parsed and validated. */
export interface CliEnv {
  /** Default server base URL: `HELLO_URL`, or {@link DEFAULT_URL}. */
  readonly url: string;
}

/**
 * Reads every environment variable the CLI uses, once. Returns an `Error` naming the
 * variable when a value is invalid.
 */
export function readCliEnv(env: NodeJS.ProcessEnv = process.env): CliEnv | Error {
  const url = env["HELLO_URL"];
  if (url === undefined || url === "") {
    return { url: DEFAULT_URL };
  }
  const parsed = parseBaseUrl(url);
  if (parsed instanceof Error) {
    return new Error(`HELLO_URL: ${parsed.message}`);
  }
  return { url: parsed };
}

/**
 * Checks a server base URL (http or https, no query or fragment) and returns it without
 * a trailing slash, or an `Error` saying what is wrong.
 */
export function parseBaseUrl(text: string): string | Error {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return new Error(`"${text}" is not a URL: use e.g. ${DEFAULT_URL}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return new Error(`"${text}" must use http or https`);
  }
  if (url.search !== "" || url.hash !== "") {
    return new Error(`"${text}" must not have a query or fragment`);
  }
  return text.replace(/\/+$/, "");
}
