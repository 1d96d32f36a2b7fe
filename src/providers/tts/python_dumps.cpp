#include "providers/tts/python_dumps.h"

#include "protocol/python_json.h"

namespace xz::providers {

namespace {

void dump(const nlohmann::ordered_json& v, std::string& out) {
  using T = nlohmann::ordered_json::value_t;
  switch (v.type()) {
    case T::object: {
      out += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ", ";
        first = false;
        out += protocol::python_json_string(it.key());
        out += ": ";
        dump(it.value(), out);
      }
      out += '}';
      break;
    }
    case T::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ", ";
        first = false;
        dump(e, out);
      }
      out += ']';
      break;
    }
    case T::string:
      out += protocol::python_json_string(v.get_ref<const std::string&>());
      break;
    case T::number_float:
      out += protocol::python_float_repr(v.get<double>());
      break;
    case T::null:
    case T::discarded:
      out += "null";
      break;
    default:  // booleans and integers print the same in both
      out += v.dump();
      break;
  }
}

}  // namespace

std::string python_dumps(const nlohmann::ordered_json& value) {
  std::string out;
  dump(value, out);
  return out;
}

}  // namespace xz::providers
