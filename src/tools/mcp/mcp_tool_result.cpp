#include "tools/mcp/mcp_tool_result.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "protocol/json_text.h"
#include "tools/tool_runner.h"

namespace xz::tools::mcp {

using Json = nlohmann::json;

std::optional<Action> parse_action_name(std::string_view name) {
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  if (upper == "ERROR") return Action::error;
  if (upper == "NOTFOUND" || upper == "NOT_FOUND") return Action::not_found;
  if (upper == "NONE") return Action::none;
  if (upper == "RESPONSE") return Action::response;
  if (upper == "REQLLM") return Action::reqllm;
  if (upper == "RECORD") return Action::record;
  return std::nullopt;
}

namespace {

std::string text_of(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (it->is_string()) return it->get<std::string>();
  return it->dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

ToolResult tool_result_from_mcp_failure(std::string_view why) {
  return {Action::error, "error: " + std::string(why), kToolFailedResponse};
}

ToolResult tool_result_from_mcp(const protocol::McpCallOutcome& outcome) {
  if (!outcome.ok) return ToolResult{Action::error, "error: " + outcome.text, kToolFailedResponse};
  Json j = protocol::parse_json_text(outcome.text);
  if (j.is_object()) {
    if (auto a = j.find("action"); a != j.end() && a->is_string()) {
      if (auto action = parse_action_name(a->get_ref<const std::string&>())) {
        ToolResult r{*action, text_of(j, "result"), text_of(j, "response")};
        // The LLM needs something to read when it is asked to answer.
        if (r.action == Action::reqllm && r.result.empty()) r.result = outcome.text;
        if (r.action == Action::error && r.response.empty()) r.response = kToolFailedResponse;
        return r;
      }
    }
  }
  return ToolResult::llm(outcome.text);
}

}  // namespace xz::tools::mcp
