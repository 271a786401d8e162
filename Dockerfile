# syntax=docker/dockerfile:1
# The hello server image: build the workspace, `pnpm deploy` the server with its production
# dependencies only, and run that bundle on a slim Node as a non-root user.
#
#   docker build -t hello-server .
#   docker run --rm -p 8080:8080 hello-server
#
# packages/system-tests builds this image as it is with Docker or podman and runs it
# (src/containers/), and makes the same bundle with the same `pnpm deploy` command to run it
# outside the workspace and behind deploy/nginx/nginx.conf.

ARG NODE_IMAGE=node:26-bookworm-slim

FROM ${NODE_IMAGE} AS build
# corepack is unreliable in CI (signature keys, network); npm pins the exact version instead.
RUN npm install --global pnpm@10.34.9
ENV CI=1 TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
WORKDIR /repo

# Dependencies first: `pnpm fetch` needs only the lockfile (and the workspace file, for the
# catalog and the build-script allow-list, and the patches it names), so this layer
# survives source changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
COPY patches ./patches
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm fetch --store-dir /pnpm/store

COPY . .
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm install --offline --frozen-lockfile --store-dir /pnpm/store
RUN pnpm turbo run build --filter=@hello/server...
# pnpm 10 deploys "injected" workspaces only; --legacy deploys ours as it is (workspace
# packages linked, not injected) and copies @hello/sdk per its "files" (dist) into the bundle.
# --prefer-offline, not --offline: deploy resolves the production subset again and needs
# package metadata, which `pnpm fetch` does not store (a clean cache fails with
# ERR_PNPM_NO_OFFLINE_META); the tarballs still come from the store.
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm --filter=@hello/server deploy --prod --legacy --prefer-offline --store-dir /pnpm/store /out

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production PORT=8080
WORKDIR /app
# Owned by root and read-only for the server: it writes nothing, so the root filesystem can
# be read-only too.
COPY --from=build /out ./
# Numeric, so Kubernetes' runAsNonRoot can verify it: 1000 is the image's `node` user.
USER 1000:1000
EXPOSE 8080
# Shell form, so the probe follows PORT and, when the server serves TLS, speaks TLS (without
# verifying the certificate: it checks liveness on 127.0.0.1, not the server's identity).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD node dist/probe/main.js --addr "127.0.0.1:${PORT}" --timeout 2s ${TLS_CERT_FILE:+--tls --tls-no-verify}
# The server drains on SIGTERM (GOAWAY, in-flight calls finish, SHUTDOWN_GRACE_MS at most).
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
