#!/usr/bin/env bash
# Copies gRPC's health and reflection protos, unchanged, from Debian's grpc-proto
# package into third_party/ (same import paths), so that `buf generate` compiles them
# into @hello/sdk. See third_party/README.md.
#
# Needs Debian's grpc-proto package: apt-get install -y grpc-proto
#
# Usage: scripts/vendor-grpc-protos.sh [source-root]
# source-root defaults to /usr/share/grpc-proto. After copying, update the version
# in third_party/README.md (printed below) and run `pnpm exec buf generate`.
set -euo pipefail

src="${1:-/usr/share/grpc-proto}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

files=(
  grpc/health/v1/health.proto
  grpc/reflection/v1/reflection.proto
  grpc/reflection/v1alpha/reflection.proto
)

for file in "${files[@]}"; do
  if [[ ! -f "$src/$file" ]]; then
    echo "missing $src/$file (is Debian's grpc-proto package installed?)" >&2
    exit 1
  fi
done

for file in "${files[@]}"; do
  mkdir -p "$repo/third_party/$(dirname "$file")"
  cp "$src/$file" "$repo/third_party/$file"
  echo "third_party/$file"
done

if command -v dpkg-query >/dev/null 2>&1; then
  echo "grpc-proto version: $(dpkg-query -W -f='${Version}' grpc-proto 2>/dev/null || echo unknown)"
fi
