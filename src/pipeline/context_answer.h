#pragma once
// What a context provider (context_providers: [{url, headers}]) answers, as the reference
// puts it into the prompt's {{dynamic_context}}: {"code":0,"data":{...}} gives one line
// "- **key：** value" per entry, {"code":0,"data":[...]} one line "- item" per item; values
// print as Python's str() does (True, None, {'a': 1}). Pure: the answer is outside bytes.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::pipeline {

struct ContextAnswer {
  std::vector<std::string> lines;
  std::string error;  // why the answer gives nothing ("" when it gave lines or an empty list)
};

// Data nested deeper than this is refused rather than printed.
inline constexpr int kMaxContextDepth = 16;

ContextAnswer parse_context_answer(std::string_view body);

// Python's str() of a JSON value (repr() for the items of lists and maps). Throws
// std::invalid_argument when nested deeper than kMaxContextDepth.
std::string python_str(const nlohmann::ordered_json& value);

}  // namespace xz::pipeline
