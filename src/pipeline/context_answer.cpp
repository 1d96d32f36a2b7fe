#include "pipeline/context_answer.h"

#include <stdexcept>

#include <fmt/format.h>

#include "pipeline/prompt_template.h"
#include "protocol/python_json.h"

namespace xz::pipeline {

namespace {

void append_python(const nlohmann::ordered_json& v, bool repr, int depth, std::string& out) {
  if (depth > kMaxContextDepth) throw std::invalid_argument(fmt::format("nested more than {} deep", kMaxContextDepth));
  switch (v.type()) {
    case nlohmann::ordered_json::value_t::string:
      out += repr ? python_str_repr(v.get_ref<const std::string&>()) : v.get_ref<const std::string&>();
      break;
    case nlohmann::ordered_json::value_t::boolean:
      out += v.get<bool>() ? "True" : "False";
      break;
    case nlohmann::ordered_json::value_t::null:
      out += "None";
      break;
    case nlohmann::ordered_json::value_t::number_integer:
      out += std::to_string(v.get<std::int64_t>());
      break;
    case nlohmann::ordered_json::value_t::number_unsigned:
      out += std::to_string(v.get<std::uint64_t>());
      break;
    case nlohmann::ordered_json::value_t::number_float:
      out += protocol::python_float_repr(v.get<double>());
      break;
    case nlohmann::ordered_json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v) {
        if (!first) out += ", ";
        first = false;
        append_python(item, true, depth + 1, out);
      }
      out += ']';
      break;
    }
    case nlohmann::ordered_json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, item] : v.items()) {
        if (!first) out += ", ";
        first = false;
        out += python_str_repr(k);
        out += ": ";
        append_python(item, true, depth + 1, out);
      }
      out += '}';
      break;
    }
    default:  // binary and discarded values do not come out of the parser
      out += "None";
      break;
  }
}

}  // namespace

std::string python_str(const nlohmann::ordered_json& value) {
  std::string out;
  append_python(value, false, 0, out);
  return out;
}

ContextAnswer parse_context_answer(std::string_view body) {
  ContextAnswer a;
  // The parser itself is not recursive; printing is, and refuses deep nesting.
  auto j = nlohmann::ordered_json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    a.error = "the answer is not JSON";
    return a;
  }
  if (!j.is_object()) {
    a.error = "the answer is not a JSON object";
    return a;
  }
  auto code = j.find("code");
  const bool ok = code != j.end() && code->is_number() && code->get<double>() == 0;
  if (!ok) {
    auto msg = j.find("msg");
    std::string said = msg != j.end() && msg->is_string() ? msg->get<std::string>() : "";
    if (said.size() > 200) said = said.substr(0, 200) + "...";
    a.error = code == j.end() ? "the answer has no code" : fmt::format("error code {}{}{}", code->dump(),
                                                                        said.empty() ? "" : ": ", said);
    return a;
  }
  auto data = j.find("data");
  try {
    if (data != j.end() && data->is_object()) {
      for (const auto& [k, v] : data->items()) a.lines.push_back("- **" + k + "：** " + python_str(v));
    } else if (data != j.end() && data->is_array()) {
      for (const auto& item : *data) a.lines.push_back("- " + python_str(item));
    } else {
      a.error = "data is neither a map nor a list";
    }
  } catch (const std::invalid_argument& e) {
    a.lines.clear();
    a.error = std::string("data ") + e.what();
  }
  return a;
}

}  // namespace xz::pipeline
