#!/usr/bin/env bash
# The conformance suite on every supported Node, one major after another (each run keeps both
# cores busy), the later majors running even when an earlier one failed.
set -u
cd "$(dirname "$0")/.."
status=0
for major in 22 24 26; do
  node ../../scripts/with-node.mjs "$major" node_modules/jest/bin/jest.js src/conformance.test.ts || status=1
done
exit "$status"
