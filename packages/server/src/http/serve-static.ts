import { statSync } from "node:fs";
import sirv from "sirv";
import type { NodeRequest, NodeResponse } from "./write-rpc-error.js";

/**
 * An RPC path: `/<package>.<Service>/<Method>`, e.g. `/hello.v1.HelloService/SayHello`.
 * Static files never answer these, whatever the method (Connect unary calls may be GETs).
 */
const RPC_PATH = /^\/[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\/[A-Za-z_]\w*$/;

/** Tells whether a request path (without the query) is an RPC path. */
export function isRpcPath(path: string): boolean {
  return RPC_PATH.test(path);
}

/**
 * Answers a request from the static directory when it can; returns false, having written
 * nothing, when the request is not for a static file (so the caller handles it as before).
 */
export type StaticFileHandler = (req: NodeRequest, res: NodeResponse) => boolean;

/**
 * Serves the files of `dir` (e.g. the built browser playground) on GET and HEAD for paths
 * that are not RPC paths; `/` and `/x` serve `index.html` and `x.html`.
 *
 * Built on `sirv`, which writes only through `writeHead`, `setHeader` and `pipe`, so it
 * works with `node:http` and the `node:http2` compatibility API alike. The directory is
 * listed once, here: only files present now are served (rebuilding the directory needs a
 * restart), and a path is only ever looked up in that list, never joined onto the file
 * system, so `..`, encoded or not, cannot reach outside `dir`. Dotfiles are not served.
 *
 * @throws Error when `dir` is not a directory.
 */
export function createStaticFileHandler(dir: string): StaticFileHandler {
  if (!isDirectory(dir)) {
    throw new Error(`static directory ${dir} does not exist or is not a directory`);
  }
  const serve = sirv(dir, {
    etag: true,
    setHeaders(res, pathname) {
      res.setHeader("x-content-type-options", "nosniff");
      // Vite puts content-hashed files under /assets/; everything else (index.html) must
      // be revalidated so that a new build is picked up at once.
      res.setHeader("cache-control", pathname.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
    },
  });
  return (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const path = (req.url ?? "").split("?", 1)[0] ?? "";
    if (isRpcPath(path)) return false;
    // sirv's lookup is synchronous (an in-memory list, outside its `dev` mode): it either
    // starts the response or calls `next` before returning.
    let served = true;
    serve(req as Parameters<typeof serve>[0], res as Parameters<typeof serve>[1], () => {
      served = false;
    });
    return served;
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
