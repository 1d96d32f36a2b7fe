#pragma once
// Small string helpers shared by parsers of outside text.
#include <string_view>

namespace xz::core {

// `s` without leading and trailing characters from `blanks` (HTTP's optional whitespace
// by default).
inline std::string_view trim(std::string_view s, std::string_view blanks = " \t") {
  const auto first = s.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(blanks) - first + 1);
}

}  // namespace xz::core
