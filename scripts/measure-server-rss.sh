#!/usr/bin/env bash
# Measures the memory the hello server needs under load, for the Kubernetes resources in
# deploy/k8s/deployment.yaml (deploy/README.md records the figures): the image (built from
# the Dockerfile, tag hello-server:local) run read-only under each memory limit given, driven
# by h2load with gRPC unary SayHello calls (-c 10 -m 10, then -c 200 -m 100: 20,000 calls in
# flight), 10 s each. Prints per limit whether the server survived, the calls done, and the
# cgroup's peak memory use (memory.max_usage_in_bytes, cgroup v1; memory.peak, v2).
#
#   ENGINE=podman bash scripts/measure-server-rss.sh 256m 384m 512m
#
# Needs the engine (scripts/ensure-container-engine.sh; for podman, CONTAINERS_CONF as it
# prints) and h2load (nghttp2-client); publishes on 127.0.0.1 only.
set -euo pipefail
engine=${ENGINE:-podman}
image=${IMAGE:-hello-server:local}
[ $# -gt 0 ] || set -- 256m 384m 512m
work=$(mktemp -d)
name=hello-measure-$$
cleanup() {
  "$engine" rm --force "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
# A gRPC frame (uncompressed, 7 bytes) of hello.v1.HelloRequest { greeting: "world" }.
printf '\x00\x00\x00\x00\x07\x0a\x05world' >"$work/body.bin"
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')

peak_mib() {
  "$engine" exec "$name" sh -c 'cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.peak' 2>/dev/null |
    awk '{ printf "%.0f", $1 / 1048576 }'
}

for limit in "$@"; do
  "$engine" run --detach --name "$name" --memory "$limit" --read-only --cap-drop=ALL \
    --env LOG_LEVEL=warn --publish "127.0.0.1:$port:8080" "$image" >/dev/null 2>&1
  for _ in $(seq 50); do
    "$engine" exec "$name" node dist/probe/main.js --addr 127.0.0.1:8080 --timeout 1s >/dev/null 2>&1 && break
    sleep 0.2
  done
  done_calls=""
  for load in "-c 10 -m 10" "-c 200 -m 100"; do
    # shellcheck disable=SC2086 # $load is the h2load options
    done_calls+="$(h2load -D 10 -t 1 $load -d "$work/body.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
      "http://127.0.0.1:$port/hello.v1.HelloService/SayHello" | awk '/^requests:/ { print $6 }') calls ($load); "
  done
  state=$("$engine" inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$name")
  if [ "${state%% *}" = running ]; then
    echo "limit $limit: survived; ${done_calls}peak $(peak_mib) MiB"
  else
    echo "limit $limit: died (status/exit code: $state); ${done_calls}"
  fi
  "$engine" rm --force "$name" >/dev/null 2>&1
done
