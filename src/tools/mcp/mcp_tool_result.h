#pragma once
// What an MCP tool's answer means for the conversation (reference §2.8): a text that is
// a JSON object with an "action" ("RESPONSE", "REQLLM", ...) becomes that action, with
// its "response" spoken and its "result" for the LLM; isError or a JSON-RPC error is an
// error; any other text goes back to the LLM (REQLLM).
#include <optional>
#include <string_view>

#include "protocol/mcp_jsonrpc.h"
#include "providers/tts/tts.h"  // tools/tool.h names providers::PcmChunk without including it
#include "tools/tool.h"

namespace xz::tools::mcp {

ToolResult tool_result_from_mcp(const protocol::McpCallOutcome& outcome);
// A call that got no answer (no connection, a timeout): an error for the LLM, and the
// usual apology for the user.
ToolResult tool_result_from_mcp_failure(std::string_view why);

// "RESPONSE" -> Action::response (case-insensitive); std::nullopt when unknown.
std::optional<Action> parse_action_name(std::string_view name);

}  // namespace xz::tools::mcp
