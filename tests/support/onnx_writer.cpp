#include "support/onnx_writer.h"

#include <cctype>
#include <fstream>
#include <stdexcept>

namespace xz::test::onnx {

Proto& Proto::varint(int field, std::uint64_t v) {
  put_varint(static_cast<std::uint64_t>(field) << 3);
  put_varint(v);
  return *this;
}

Proto& Proto::bytes(int field, std::string_view s) {
  put_varint(static_cast<std::uint64_t>(field) << 3 | 2);
  put_varint(s.size());
  out_ += s;
  return *this;
}

void Proto::put_varint(std::uint64_t v) {
  while (v >= 0x80) {
    out_ += static_cast<char>(v | 0x80);
    v >>= 7;
  }
  out_ += static_cast<char>(v);
}

Proto value_info(const std::string& name, ElemType type, const std::vector<std::string>& dims) {
  Proto shape;
  for (const auto& d : dims) {
    Proto dim;
    if (!d.empty() && std::isdigit(static_cast<unsigned char>(d[0])) != 0) {
      dim.varint(1, std::stoull(d));
    } else {
      dim.bytes(2, d);
    }
    shape.message(1, dim);
  }
  Proto tensor_type;
  tensor_type.varint(1, type).message(2, shape);
  Proto type_proto;
  type_proto.message(1, tensor_type);
  Proto v;
  v.bytes(1, name).message(2, type_proto);
  return v;
}

Proto node(const std::string& op, const std::vector<std::string>& in, const std::string& out,
           const std::vector<std::pair<std::string, std::int64_t>>& int_attrs) {
  Proto n;
  for (const auto& i : in) n.bytes(1, i);
  n.bytes(2, out);
  n.bytes(3, out + "_node");
  n.bytes(4, op);
  for (const auto& [name, value] : int_attrs) {
    Proto a;
    a.bytes(1, name).varint(3, static_cast<std::uint64_t>(value)).varint(20, 2);  // type INT
    n.message(5, a);
  }
  return n;
}

std::string model(const Proto& graph, const std::map<std::string, std::string>& metadata) {
  Proto m;
  m.varint(1, 8);  // IR version
  Proto opset;
  opset.bytes(1, "").varint(2, 17);
  m.message(8, opset);
  m.bytes(2, "xiaozhi-server tests");
  m.message(7, graph);
  for (const auto& [k, v] : metadata) {
    Proto e;
    e.bytes(1, k).bytes(2, v);
    m.message(14, e);
  }
  return m.str();
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace xz::test::onnx
