#!/usr/bin/env bash
# Drift check of the generated conformance code: run `generate` (buf.gen.yaml here) and fail
# when it changed anything under src/gen, so the committed code is always what the vendored
# protos (third_party/connectrpc) generate.
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm run --silent generate
changed=$(git status --porcelain -- src/gen)
if [ -n "$changed" ]; then
  echo "'pnpm generate' changed packages/conformance/src/gen; commit the result:" >&2
  echo "$changed" >&2
  exit 1
fi
echo "packages/conformance/src/gen is up to date"
