/** Options of {@link renderNginxConf}: where the local nginx writes, listens and sends calls. */
export interface RenderNginxConfOptions {
  /** Directory for everything nginx writes (replaces "/tmp/"). */
  prefix: string;
  h2cPort: number;
  http1Port: number;
  /** host:port of each replica. */
  upstreams: string[];
}

/** The markers deploy/nginx/nginx.conf must have, each on the line it replaces. */
const MARKERS = ["listen-h2c", "listen-http1", "upstream", "resolver"] as const;

/**
 * deploy/nginx/nginx.conf for a local nginx, changed only where the file says it may be:
 * lines ending in "# render:<name>" get local listen addresses and upstream servers, the
 * resolver line goes (the upstreams are addresses here; in the image, the entrypoint fills
 * it in), and "/tmp/" (where nginx writes) becomes `prefix`. Fails if a marker has gone
 * missing or is unknown, or a template variable is left, so the file and the tests cannot
 * drift apart unnoticed.
 */
export function renderNginxConf(source: string, options: RenderNginxConfOptions): string {
  const seen = new Set<string>();
  const lines = source.split("\n").flatMap((line) => {
    const marked = /^(\s*)(.*?)\s*# render:([\w-]+)\s*$/.exec(line);
    if (!marked) return [line.replaceAll("/tmp/", `${options.prefix}/`)];
    const [, indent = "", directive = "", name = ""] = marked;
    seen.add(name);
    switch (name) {
      case "listen-h2c":
        return [`${indent}listen 127.0.0.1:${options.h2cPort} http2;`];
      case "listen-http1":
        return [`${indent}listen 127.0.0.1:${options.http1Port};`];
      case "upstream": {
        // Same parameters, minus `resolve` (IP addresses need no DNS; nginx 1.22 lacks it).
        const parameters = directive
          .replace(/^server\s+\S+/, "")
          .replace(/\bresolve\b/, "")
          .replace(/;$/, "")
          .trim();
        return options.upstreams.map((address) => `${indent}server ${address} ${parameters};`);
      }
      case "resolver":
        return [];
      default:
        throw new Error(`deploy/nginx/nginx.conf: unknown marker "# render:${name}"`);
    }
  });
  for (const name of MARKERS) {
    if (!seen.has(name)) throw new Error(`deploy/nginx/nginx.conf has no line marked "# render:${name}"`);
  }
  const unrendered = lines.find((line) => /\$\{\w+\}/.test(line.replace(/#.*/, "")));
  if (unrendered !== undefined) throw new Error(`deploy/nginx/nginx.conf: a template variable outside a marked line: ${unrendered}`);
  return lines.join("\n");
}
