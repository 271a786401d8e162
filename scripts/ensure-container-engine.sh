#!/usr/bin/env bash
# Finds a container engine the container system tests (packages/system-tests/src/containers)
# can drive, installing one when there is none:
#
#   - Docker, when `docker info` reaches a daemon: used as it is;
#   - else rootful podman (Debian's apt: podman, runc, netavark, aardvark-dns, catatonit, plus
#     debootstrap for the base images it cannot pull), installed when missing, run with a
#     containers.conf of its own (CONTAINERS_CONF) that fits a machine without systemd and
#     with hard limits below podman's defaults: runc, cgroupfs, file events, explicit ulimits.
#
# Prints the engine on stdout as shell assignments (ENGINE=…, and CONTAINERS_CONF=… for
# podman); tells what it does on stderr; fails with the reason when no engine can run.
set -euo pipefail

log() { echo "container engine: $*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

if have docker && docker info >/dev/null 2>&1; then
  log "Docker ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
  echo "ENGINE=docker"
  exit 0
fi
have docker && log "a docker CLI is installed, but no Docker daemon answers it: using podman"

packages=()
have podman || packages+=(podman)
have runc || [ -x /usr/sbin/runc ] || packages+=(runc)
[ -x /usr/lib/podman/netavark ] || packages+=(netavark)
[ -x /usr/lib/podman/aardvark-dns ] || packages+=(aardvark-dns)
# The init of the pause container `podman kube play` builds for each pod.
have catatonit || [ -x /usr/libexec/podman/catatonit ] || packages+=(catatonit)
have debootstrap || [ -x /usr/sbin/debootstrap ] || packages+=(debootstrap)
# The kube test reads the manifests with PyYAML.
/usr/bin/python3 -c 'import yaml' >/dev/null 2>&1 || packages+=(python3-yaml)
have iptables || [ -x /usr/sbin/iptables ] || packages+=(iptables)
if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! have apt-get; then
    log "no Docker daemon, and podman cannot be installed here (needs root and apt-get):"
    log "install Docker, or as root on Debian: apt-get install ${packages[*]}"
    exit 1
  fi
  log "no Docker daemon: installing rootful podman from apt (${packages[*]})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null
fi
if [ "$(id -u)" -ne 0 ]; then
  log "podman is installed, but these tests drive it rootful (published ports, kube play limits): run them as root"
  exit 1
fi

conf=${XDG_CACHE_HOME:-$HOME/.cache}/hello-rpc/podman/containers.conf
mkdir -p "$(dirname "$conf")"
# Hard limits of the machine (a sandbox's may be below podman's defaults, and then every
# container fails in setrlimit): ask for no more than they allow.
nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] && nofile=1048576
nproc=$(ulimit -Hu); [ "$nproc" = unlimited ] && nproc=1048576
[ "$nofile" -gt 65536 ] && nofile=65536
[ "$nproc" -gt 4096 ] && nproc=4096
cat >"$conf.partial" <<EOF
# Written by scripts/ensure-container-engine.sh for the container system tests.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
pids_limit = 0

[engine]
# crun fails on hybrid cgroups; without systemd as PID 1 there are no systemd cgroups,
# journald or timers (so health checks are run by the tests themselves).
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
EOF
mv "$conf.partial" "$conf"
if ! CONTAINERS_CONF=$conf podman info >/dev/null 2>&1; then
  log "podman is installed but does not run here:"
  CONTAINERS_CONF=$conf podman info 2>&1 | tail -5 >&2
  exit 1
fi
log "podman $(podman version --format '{{.Client.Version}}') (rootful, runc, cgroupfs; config $conf)"
echo "ENGINE=podman"
echo "CONTAINERS_CONF=$conf"
