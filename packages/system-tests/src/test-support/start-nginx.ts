import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AccessLogEntry, parseAccessLog } from "./access-log.js";
import { freePort, portOpen, requireExecutable, type Started, start, tempDir, waitFor } from "./processes.js";
import { renderNginxConf } from "./render-nginx-conf.js";
import { root } from "./server-bundle.js";

/** Debian's nginx running deploy/nginx/nginx.conf on local ports. */
export interface Nginx extends Started {
  /** The HTTP/2 cleartext listener (gRPC; gRPC-Web and Connect over HTTP/2). */
  h2cUrl: string;
  /** The HTTP/1.1 listener (gRPC-Web and Connect). */
  http1Url: string;
  /** The access log so far, one entry per request nginx passed on. */
  accessLog(): AccessLogEntry[];
}

/** Starts nginx with deploy/nginx/nginx.conf in front of `upstreams` (host:port each). */
export async function startNginx(upstreams: string[]): Promise<Nginx> {
  const nginxBin = requireExecutable("nginx", ["/usr/sbin"]);
  const prefix = tempDir("hello-nginx-");
  // Workers run as nobody when the suite runs as root: they must reach their temp dirs.
  chmodSync(prefix, 0o755);
  const [h2cPort, http1Port] = [await freePort(), await freePort()];
  const conf = renderNginxConf(readFileSync(join(root, "deploy/nginx/nginx.conf"), "utf8"), {
    prefix,
    h2cPort,
    http1Port,
    upstreams,
  });
  writeFileSync(join(prefix, "nginx.conf"), conf);
  const args = ["-p", prefix, "-c", join(prefix, "nginx.conf"), "-e", "stderr", "-g", "daemon off;"];
  const test = spawnSync(nginxBin, ["-t", ...args], { cwd: prefix, stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 });
  if (test.status !== 0) throw new Error(`nginx -t refused the rendered config:\n${test.stderr.toString()}\n${conf}`);
  const nginx = start(nginxBin, args, { cwd: prefix, env: process.env, stdoutFile: join(prefix, "stdout.log") });
  await waitFor(
    async () => {
      if (nginx.child.exitCode !== null) throw new Error(`nginx exited:\n${nginx.output()}`);
      return (await portOpen(h2cPort)) && (await portOpen(http1Port));
    },
    10_000,
    () => `nginx to listen:\n${nginx.output()}`,
  );
  return {
    ...nginx,
    h2cUrl: `http://127.0.0.1:${h2cPort}`,
    http1Url: `http://127.0.0.1:${http1Port}`,
    accessLog: () => parseAccessLog(nginx.stdout()),
  };
}
