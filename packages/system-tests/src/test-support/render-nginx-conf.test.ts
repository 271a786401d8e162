// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} is an nginx template variable here, not a mistaken template literal.
import { renderNginxConf } from "./render-nginx-conf.js";

const options = { prefix: "/p", h2cPort: 1, http1Port: 2, upstreams: ["127.0.0.1:3", "127.0.0.1:4"] };

describe("renderNginxConf()", () => {
  it("rewrites only the marked lines and /tmp/", () => {
    const source = [
      "pid /tmp/nginx.pid;",
      "    server server:8080 resolve max_fails=1 fail_timeout=5s;  # render:upstream",
      "    listen 8080 http2;  # render:listen-h2c",
      "    listen 8081;  # render:listen-http1",
      "  resolver ${NGINX_RESOLVER} valid=5s;  # render:resolver",
      "    keepalive 32;",
    ].join("\n");
    expect(renderNginxConf(source, options).split("\n")).toEqual([
      "pid /p/nginx.pid;",
      "    server 127.0.0.1:3 max_fails=1 fail_timeout=5s;",
      "    server 127.0.0.1:4 max_fails=1 fail_timeout=5s;",
      "    listen 127.0.0.1:1 http2;",
      "    listen 127.0.0.1:2;",
      "    keepalive 32;",
    ]);
  });

  it("fails when a marker is missing or unknown", () => {
    expect(() => renderNginxConf("listen 8080 http2;  # render:listen-h2c", options)).toThrow('no line marked "# render:listen-http1"');
    expect(() => renderNginxConf("x;  # render:other", options)).toThrow('unknown marker "# render:other"');
  });

  it("fails when a template variable is left outside the marked lines", () => {
    const source = [
      "listen 8080 http2;  # render:listen-h2c",
      "listen 8081;  # render:listen-http1",
      "server server:8080 resolve;  # render:upstream",
      "resolver ${NGINX_RESOLVER};  # render:resolver",
      "error_log ${LOG_TARGET};",
    ].join("\n");
    expect(() => renderNginxConf(source, options)).toThrow("a template variable outside a marked line: error_log ${LOG_TARGET};");
  });
});
