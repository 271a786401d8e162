import { defineConfig } from "vite";

/** Where `pnpm dev` sends RPCs: a running hello server (`pnpm start` listens on 8080). */
const target = process.env["HELLO_SERVER_URL"] ?? "http://127.0.0.1:8080";

/**
 * RPC paths, `/<package>.<Service>/<Method>`: the dev server forwards these to the hello
 * server, so the page calls its own origin and needs no CORS.
 */
const rpcProxy = { "^/[A-Za-z_]\\w*(\\.[A-Za-z_]\\w*)+/[A-Za-z_]\\w*(\\?|$)": { target, changeOrigin: true } };

// `@hello/client` resolves through its "browser" export condition (in Vite's default
// client conditions) to the built browser entry, so its dependencies are built first
// (turbo: `^build`). The "@hello/source" condition is not used here: in that package it
// points at the Node entry's sources.
export default defineConfig({
  build: {
    target: "es2022",
    sourcemap: true,
  },
  server: { proxy: rpcProxy },
  preview: { proxy: rpcProxy },
});
