#pragma once
// Writing small ONNX models from C++ for tests: the protobuf wire format of onnx.proto
// (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto) by hand, no library.
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xz::test::onnx {

class Proto {
 public:
  Proto& varint(int field, std::uint64_t v);
  Proto& bytes(int field, std::string_view s);
  Proto& message(int field, const Proto& m) { return bytes(field, m.str()); }
  const std::string& str() const { return out_; }

 private:
  void put_varint(std::uint64_t v);
  std::string out_;
};

enum ElemType { kFloat = 1, kInt32 = 6, kInt64 = 7 };

// A TensorProto with its values as raw_data (little-endian).
template <class T>
Proto tensor(const std::string& name, ElemType type, const std::vector<std::int64_t>& dims,
             const std::vector<T>& values) {
  Proto t;
  for (auto d : dims) t.varint(1, static_cast<std::uint64_t>(d));
  t.varint(2, type);
  t.bytes(8, name);
  std::string raw(values.size() * sizeof(T), '\0');
  std::memcpy(raw.data(), values.data(), raw.size());
  t.bytes(9, raw);
  return t;
}

// A graph input or output; a dimension is a size ("560") or a name ("N").
Proto value_info(const std::string& name, ElemType type, const std::vector<std::string>& dims);

// A node of the default domain with integer attributes.
Proto node(const std::string& op, const std::vector<std::string>& in, const std::string& out,
           const std::vector<std::pair<std::string, std::int64_t>>& int_attrs = {});

// ModelProto bytes: IR version 8, opset 17, `graph` (a GraphProto), the metadata.
std::string model(const Proto& graph, const std::map<std::string, std::string>& metadata);

// Writes bytes to path. Throws std::runtime_error.
void write_file(const std::string& path, const std::string& data);

}  // namespace xz::test::onnx
