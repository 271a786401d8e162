#!/usr/bin/env bash
# Derives third_party/buf/validate/validate.proto from the FileDescriptorProto
# that the npm package @bufbuild/protovalidate embeds in its generated module
# gen/buf/validate/validate_pb.js (export file_buf_validate_validate).
#
#   1. npm-installs @bufbuild/protovalidate, @bufbuild/protobuf and @bufbuild/buf
#      into a temporary directory (the workspace's package.json is not touched);
#   2. writes the embedded descriptor and its imports as a FileDescriptorSet;
#   3. prints it as .proto source with fds2proto.cc (libprotobuf's
#      FileDescriptor::DebugString());
#   4. checks the result: a test proto using (buf.validate.field) rules must
#      build with buf, and the compiled validate.proto (without source info)
#      must be byte-identical to the embedded descriptor;
#   5. writes the file (default: <repo>/third_party/buf/validate/validate.proto).
#
# Needs node/npm and, from Debian: apt-get install -y g++ libprotobuf-dev pkg-config
#
# Usage: scripts/derive-validate-proto/derive.sh [output.proto]
# Versions default to the workspace catalog's; override with
# PROTOVALIDATE_VERSION, PROTOBUF_VERSION, BUF_VERSION.
set -euo pipefail

PROTOVALIDATE_VERSION="${PROTOVALIDATE_VERSION:-1.3.0}"
PROTOBUF_VERSION="${PROTOBUF_VERSION:-2.17.0}"
BUF_VERSION="${BUF_VERSION:-1.75.0}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-$repo/third_party/buf/validate/validate.proto}"

for tool in node npm g++; do
  command -v "$tool" >/dev/null || { echo "derive.sh: $tool not found (apt-get install -y g++ libprotobuf-dev pkg-config)" >&2; exit 1; }
done
if command -v pkg-config >/dev/null && pkg-config --exists protobuf; then
  pb_flags=($(pkg-config --cflags --libs protobuf))
  libprotobuf_version="$(pkg-config --modversion protobuf)"
elif [ -f /usr/include/google/protobuf/descriptor.h ]; then
  pb_flags=(-lprotobuf -pthread)
  libprotobuf_version="(unknown version)"
else
  echo "derive.sh: libprotobuf headers not found (apt-get install -y libprotobuf-dev pkg-config)" >&2
  exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/derive-validate-proto.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "derive.sh: installing npm packages into $work" >&2
echo '{"name":"derive-validate-proto","private":true,"type":"module"}' > package.json
npm install --no-audit --no-fund --loglevel=error \
  "@bufbuild/protovalidate@$PROTOVALIDATE_VERSION" \
  "@bufbuild/protobuf@$PROTOBUF_VERSION" \
  "@bufbuild/buf@$BUF_VERSION" >&2
pv_version="$(node -p 'require("./node_modules/@bufbuild/protovalidate/package.json").version')"
pb_version="$(node -p 'require("./node_modules/@bufbuild/protobuf/package.json").version')"
buf="$work/node_modules/.bin/buf"

# 2. Embedded descriptor + its imports (dependencies first) -> FileDescriptorSet.
cat > export.mjs <<'JS'
import { writeFileSync } from "node:fs";
import { create, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

const files = [];
const seen = new Set();
(function visit(file) {
  if (seen.has(file.name)) return;
  seen.add(file.name);
  for (const dep of file.dependencies) visit(dep);
  files.push(file.proto);
})(file_buf_validate_validate);
writeFileSync(process.argv[2], toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: files })));
console.error(`exported ${files.map((f) => f.name).join(", ")}`);
JS
node export.mjs validate.fds.binpb

# 3. FileDescriptorSet -> .proto source.
g++ -std=c++17 -O1 -o fds2proto "$here/fds2proto.cc" "${pb_flags[@]}"
{
  cat <<EOF
// Derived file: do not edit by hand. Regenerate with
// scripts/derive-validate-proto/derive.sh (see third_party/README.md).
//
// This is buf/validate/validate.proto from protovalidate (Copyright Buf
// Technologies, Inc.; Apache License, Version 2.0), reconstructed from the
// FileDescriptorProto embedded in the npm package
// @bufbuild/protovalidate@$pv_version (gen/buf/validate/validate_pb.js, export
// file_buf_validate_validate), read with @bufbuild/protobuf@$pb_version and
// printed by libprotobuf $libprotobuf_version FileDescriptor::DebugString().
// Descriptors carry no comments, so upstream's documentation comments are not
// reproduced. Compiled without source info, this file is byte-identical to
// the embedded descriptor.

EOF
  ./fds2proto validate.fds.binpb buf/validate/validate.proto
} > validate.proto

# 4. Verify: usable from a proto of ours, and equivalent to the embedded descriptor.
mkdir -p verify/third_party/buf/validate verify/proto/test/v1
cp validate.proto verify/third_party/buf/validate/validate.proto
cat > verify/buf.yaml <<'YAML'
version: v2
modules:
  - path: proto
  - path: third_party
YAML
cat > verify/proto/test/v1/t.proto <<'PROTO'
syntax = "proto3";

package test.v1;

import "buf/validate/validate.proto";
import "google/protobuf/duration.proto";

message T {
  string greeting = 1 [(buf.validate.field).string.min_len = 1, (buf.validate.field).string.max_len = 1000];
  uint32 n = 2 [(buf.validate.field).uint32.lte = 1000];
  google.protobuf.Duration d = 3 [(buf.validate.field).duration.lte = {seconds: 10}];
}
PROTO
(cd verify && "$buf" build --as-file-descriptor-set --exclude-source-info -o ../built.binpb)

cat > compare.mjs <<'JS'
import { readFileSync } from "node:fs";
import { toBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

// Raw bytes of one FileDescriptorProto from a FileDescriptorSet, minus
// source_code_info (9) and buf's image-file extension (8042), if present.
function rawFile(set, wanted) {
  const r = new BinaryReader(set);
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no !== 1) { r.skip(wt, no); continue; }
    const file = r.bytes();
    const fr = new BinaryReader(file);
    const kept = [];
    let name;
    while (fr.pos < fr.len) {
      const start = fr.pos;
      const [fno, fwt] = fr.tag();
      if (fno === 1) name = fr.string(); else fr.skip(fwt, fno);
      if (fno !== 9 && fno !== 8042) kept.push(file.subarray(start, fr.pos));
    }
    if (name === wanted) return Buffer.concat(kept);
  }
  throw new Error(`${wanted} not found`);
}
const built = rawFile(readFileSync(process.argv[2]), "buf/validate/validate.proto");
const embedded = Buffer.from(toBinary(FileDescriptorProtoSchema, file_buf_validate_validate.proto));
if (built.equals(embedded)) {
  console.error(`equivalence: OK, compiled FileDescriptorProto is byte-identical to the embedded one (${built.length} bytes)`);
} else {
  let i = 0;
  while (i < Math.min(built.length, embedded.length) && built[i] === embedded[i]) i++;
  console.error(`equivalence: FAILED, compiled ${built.length} bytes vs embedded ${embedded.length} bytes, first difference at byte ${i}`);
  process.exit(1);
}
JS
node compare.mjs built.binpb

# 5. Install.
mkdir -p "$(dirname "$out")"
cp validate.proto "$out"
echo "derive.sh: wrote $out (@bufbuild/protovalidate@$pv_version)" >&2
