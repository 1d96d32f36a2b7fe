#pragma once
// Reading an LLM's tool arguments, which may have any shape: a value of the wrong type
// is treated as absent, never as an exception.
#include <cctype>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace xz::tools::builtin {

// The string argument `key`, trimmed; "" when absent or not a string.
inline std::string string_arg(const nlohmann::json& args, std::string_view key) {
  if (!args.is_object()) return {};
  auto it = args.find(key);
  if (it == args.end() || !it->is_string()) return {};
  const auto& s = it->get_ref<const std::string&>();
  const std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// A boolean argument: true, "true" (any case) or 1; anything else is false.
inline bool bool_arg(const nlohmann::json& args, std::string_view key) {
  if (!args.is_object()) return false;
  auto it = args.find(key);
  if (it == args.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_number()) return it->get<double>() == 1;
  if (!it->is_string()) return false;
  std::string s = it->get<std::string>();
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s == "true" || s == "1" || s == "yes";
}

}  // namespace xz::tools::builtin
