#pragma once
// The metadata of an ONNX file (ModelProto.metadata_props), read without loading the
// graph: the top-level protobuf fields are walked and every other one skipped. sherpa-onnx
// ends the process when a model lacks a key it needs, so the engine checks them first.
#include <istream>
#include <map>
#include <string>

namespace xz::providers {

// Throws std::runtime_error on bytes that are not a protobuf message (truncated fields,
// lengths past the end, wire types ONNX does not use at the top level), or past the
// bounds: 4096 entries, 1 MiB per key or value.
std::map<std::string, std::string> read_onnx_metadata(std::istream& in);
std::map<std::string, std::string> read_onnx_metadata_file(const std::string& path);

}  // namespace xz::providers
