#include "protocol/json_text.h"

#include <cstdint>

namespace xz::protocol {
namespace {

template <class Json>
Json parse_bounded(std::string_view text, int max_depth) {
  if (json_nesting_exceeds(text, max_depth)) return Json(Json::value_t::discarded);
  try {
    return Json::parse(text, nullptr, false);
  } catch (const nlohmann::json::exception&) {  // not expected without exceptions; kept total
    return Json(Json::value_t::discarded);
  }
}

// A SAX consumer that builds nothing and remembers where the text stopped being JSON.
struct FaultFinder {
  using number_integer_t = nlohmann::json::number_integer_t;
  using number_unsigned_t = nlohmann::json::number_unsigned_t;
  using number_float_t = nlohmann::json::number_float_t;
  using string_t = nlohmann::json::string_t;
  using binary_t = nlohmann::json::binary_t;

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(number_integer_t) { return true; }
  bool number_unsigned(number_unsigned_t) { return true; }
  bool number_float(number_float_t, const string_t&) { return true; }
  bool string(string_t&) { return true; }
  bool binary(binary_t&) { return true; }
  bool start_object(std::size_t) { return true; }
  bool key(string_t&) { return true; }
  bool end_object() { return true; }
  bool start_array(std::size_t) { return true; }
  bool end_array() { return true; }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::json::exception&) {
    byte = position;
    return false;
  }

  std::size_t byte = 0;
};

}  // namespace

bool json_nesting_exceeds(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

nlohmann::json parse_json_text(std::string_view text, int max_depth) {
  return parse_bounded<nlohmann::json>(text, max_depth);
}

nlohmann::ordered_json parse_ordered_json_text(std::string_view text, int max_depth) {
  return parse_bounded<nlohmann::ordered_json>(text, max_depth);
}

std::string json_text_fault(std::string_view text, int max_depth) {
  if (json_nesting_exceeds(text, max_depth))
    return "JSON nested deeper than " + std::to_string(max_depth) + " levels";
  FaultFinder finder;
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(text, &finder);
  } catch (const nlohmann::json::exception&) {
    ok = false;
  }
  return ok ? std::string() : "malformed JSON at byte " + std::to_string(finder.byte);
}

}  // namespace xz::protocol
