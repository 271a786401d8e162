#!/usr/bin/env bash
# The proto gate of the test command: lint, format, breaking changes against the previous
# commit, and generated code that matches what `buf generate` writes today. It changes no
# file: generation goes to a temporary folder and is compared with the committed code.
set -euo pipefail
cd "$(dirname "$0")/.."
buf=node_modules/.bin/buf
[ -x "$buf" ] || buf=packages/sdk/node_modules/.bin/buf

echo "buf lint"
"$buf" lint

echo "buf format (proto/)"
"$buf" format proto --diff --exit-code

# Breaking changes against the previous commit. Imports (third_party) are excluded: they
# are vendored copies, upgraded on purpose (see third_party/README.md).
if git rev-parse -q --verify HEAD~1 >/dev/null && git cat-file -e HEAD~1:buf.yaml 2>/dev/null; then
  echo "buf breaking --against HEAD~1"
  "$buf" breaking --against '.git#ref=HEAD~1' --exclude-imports
else
  echo "buf breaking: no previous commit with a buf.yaml, nothing to compare against"
fi

echo "generated code is up to date"
# In CI (a fresh clone), `buf generate` has just run as part of the task graph: it must not
# have changed a committed file.
if [ "${CI:-}" = "true" ] && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  changed=$(git status --porcelain -- packages/sdk/src/gen)
  if [ -n "$changed" ]; then
    echo "'buf generate' changed committed generated code; run 'pnpm generate' and commit:" >&2
    echo "$changed" >&2
    exit 1
  fi
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$buf" generate -o "$out"
if ! diff -r "$out/packages/sdk/src/gen" packages/sdk/src/gen; then
  echo "packages/sdk/src/gen differs from what 'buf generate' writes: run 'pnpm generate' and commit the result" >&2
  exit 1
fi
echo "protos ok"
