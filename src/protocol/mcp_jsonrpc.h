#pragma once
// JSON-RPC payloads for the device's MCP server (device-protocol.md §5, reference
// §2.8) and parsing of what the device sends back. The device accepts integer ids only.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::protocol {

inline constexpr std::string_view kMcpProtocolVersion = "2024-11-05";

// capabilities.vision is included only when vision_url is non-empty.
nlohmann::json mcp_initialize(int id, std::string_view vision_url, std::string_view vision_token);
nlohmann::json mcp_initialized_notification();
// params.withUserTools is sent only when true (firmware before 2.0 does not know it).
nlohmann::json mcp_tools_list(int id, std::string_view cursor, bool with_user_tools);
// Null arguments become {}; other non-objects throw std::invalid_argument.
nlohmann::json mcp_tools_call(int id, std::string_view name, const nlohmann::json& arguments);

struct McpTool {
  std::string name, description;
  nlohmann::json input_schema;
  bool user_only = false;
};

// A response (result or error) or, when `method` is set, a request/notification from the
// device (stock firmware sends none; id is set for a request).
struct McpReply {
  std::optional<long long> id;
  bool is_error = false;
  std::string error_message;
  nlohmann::json result;
  std::string method;      // non-empty for a request or notification
  nlohmann::json params;   // its params (object or null)
};

// Checks jsonrpc == "2.0", an integer (or null) id, and exactly one of result/error for
// a response. Error text in *error (may be null).
std::optional<McpReply> parse_mcp_reply(const nlohmann::json& payload, std::string* error);

// tools/list result -> tools (+ nextCursor, "" when last page). Entries without a string
// name are skipped; a missing inputSchema becomes {"type":"object","properties":{}}.
// user_only when annotations.audience lists "user" and nothing else.
std::vector<McpTool> parse_tools_list(const nlohmann::json& result, std::string* next_cursor);

// tools/call outcome: the text items of result.content joined by "\n"; a JSON-RPC error
// or result.isError:true gives ok = false with the message in text.
struct McpCallOutcome {
  bool ok = false;
  std::string text;
};
McpCallOutcome parse_tool_call_result(const McpReply& reply);

}  // namespace xz::protocol
