#!/usr/bin/env bash
# Makes sure the system tools the test suites drive for real are installed: a gRPC C-core
# client (python3-grpcio), nginx, docker-compose (file validation only), Chromium, h2load
# and curl. Installs what is missing with apt-get when it can (root, Debian/Ubuntu);
# otherwise names exactly what to install and fails.
set -euo pipefail

missing=()
have() { command -v "$1" >/dev/null 2>&1; }
/usr/bin/python3 -c 'import grpc' >/dev/null 2>&1 || missing+=(python3 python3-grpcio)
have nginx || [ -x /usr/sbin/nginx ] || missing+=(nginx)
have docker-compose || missing+=(docker-compose)
have chromium || missing+=(chromium)
have h2load || missing+=(nghttp2-client)
have curl || missing+=(curl)
have openssl || missing+=(openssl)

if [ ${#missing[@]} -eq 0 ]; then
  echo "system deps: all present"
  exit 0
fi
echo "system deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ] && have apt-get; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
elif have sudo && have apt-get; then
  sudo apt-get update -q >/dev/null
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "system deps: please install these packages (Debian names): ${missing[*]}" >&2
  exit 1
fi
# nginx must not keep running as a system service: tests start their own.
if have service && [ -x /etc/init.d/nginx ]; then service nginx stop >/dev/null 2>&1 || true; fi
echo "system deps: installed"
