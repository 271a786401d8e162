// fds2proto: print one file of a binary FileDescriptorSet as .proto source.
//
// Usage: fds2proto <set.binpb> <file/name.proto>
//
// Builds a DescriptorPool from every file in the set (dependencies must come
// first) and prints FileDescriptor::DebugString() for the requested file.
// DebugString() emits valid proto syntax, including custom options, which it
// resolves against the pool (so google/protobuf/descriptor.proto must be in
// the set).
//
// json_name is cleared wherever it equals the name protoc would derive, and
// on extensions (where protoc rejects an explicit json_name); compilers
// derive the same value again.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

using google::protobuf::DescriptorPool;
using google::protobuf::DescriptorProto;
using google::protobuf::FieldDescriptorProto;
using google::protobuf::FileDescriptor;
using google::protobuf::FileDescriptorProto;
using google::protobuf::FileDescriptorSet;

// protoc's default json_name: drop '_' and upper-case the following letter.
static std::string DefaultJsonName(const std::string& name) {
  std::string out;
  bool upper = false;
  for (char c : name) {
    if (c == '_') {
      upper = true;
    } else if (upper && c >= 'a' && c <= 'z') {
      out += static_cast<char>(c - 'a' + 'A');
      upper = false;
    } else {
      out += c;
      upper = false;
    }
  }
  return out;
}

static void StripField(FieldDescriptorProto* f, bool is_extension) {
  if (!f->has_json_name()) return;
  if (is_extension || f->json_name() == DefaultJsonName(f->name())) {
    f->clear_json_name();
  } else {
    std::cerr << "keeping custom json_name " << f->json_name() << " on "
              << f->name() << "\n";
  }
}

static void StripMessage(DescriptorProto* m) {
  for (auto& f : *m->mutable_field()) StripField(&f, false);
  for (auto& f : *m->mutable_extension()) StripField(&f, true);
  for (auto& n : *m->mutable_nested_type()) StripMessage(&n);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: " << argv[0] << " <set.binpb> <file.proto>\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  FileDescriptorSet set;
  if (!in || !set.ParseFromString(buf.str())) {
    std::cerr << "cannot parse FileDescriptorSet " << argv[1] << "\n";
    return 1;
  }
  DescriptorPool pool;
  for (FileDescriptorProto file : set.file()) {
    for (auto& m : *file.mutable_message_type()) StripMessage(&m);
    for (auto& f : *file.mutable_extension()) StripField(&f, true);
    if (pool.BuildFile(file) == nullptr) {
      std::cerr << "cannot build " << file.name() << "\n";
      return 1;
    }
  }
  const FileDescriptor* fd = pool.FindFileByName(argv[2]);
  if (fd == nullptr) {
    std::cerr << argv[2] << " is not in the set\n";
    return 1;
  }
  std::cout << fd->DebugString();
  return 0;
}
