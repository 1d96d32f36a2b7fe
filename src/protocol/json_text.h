#pragma once
// JSON text from outside the process (devices, MCP servers, LLM and engine streams, web
// APIs, the manager): parsed with a bound on nesting, never throwing. nlohmann's parser
// is iterative, but copying, comparing and dumping a value recurse once per level, so a
// 25,000-deep text from a peer would overflow a stack later on, far from where it came in.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace xz::protocol {

// Deeper than this, a text from outside is refused: nothing we read nests past a dozen.
inline constexpr int kMaxJsonDepth = 64;

// Whether [ and { nesting goes deeper than max_depth, counted outside strings, without
// building anything.
bool json_nesting_exceeds(std::string_view text, int max_depth = kMaxJsonDepth);

// The value of `text`, or a discarded value (is_discarded()) when it is not JSON or is
// nested deeper than max_depth. Never throws (short of running out of memory).
nlohmann::json parse_json_text(std::string_view text, int max_depth = kMaxJsonDepth);
nlohmann::ordered_json parse_ordered_json_text(std::string_view text, int max_depth = kMaxJsonDepth);

// Why parse_json_text(text, max_depth) gives a discarded value, "" when it does not:
// "JSON nested deeper than 64 levels" or "malformed JSON at byte N".
std::string json_text_fault(std::string_view text, int max_depth = kMaxJsonDepth);

}  // namespace xz::protocol
