// A JSON-RPC message from a device's or a server's MCP side (protocol/mcp_jsonrpc):
// replies, tool lists and tool results, then what a tool's text answer means
// (tools/mcp/mcp_tool_result). Input: the message text.
#include "fuzz/fuzz_check.h"
#include "protocol/json_text.h"
#include "protocol/mcp_jsonrpc.h"
#include "tools/mcp/mcp_tool_result.h"

using namespace xz;

namespace {

void check_one(const nlohmann::json& m) {
  std::string error;
  const auto reply = protocol::parse_mcp_reply(m, &error);
  if (!reply) {
    FUZZ_CHECK(!error.empty());
    return;
  }
  std::string cursor;
  for (const auto& tool : protocol::parse_tools_list(reply->result, &cursor)) {
    FUZZ_CHECK(!tool.name.empty() && tool.input_schema.is_object());
    // What the LLM request will carry: the schema must serialise.
    (void)tool.input_schema.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  const auto outcome = protocol::parse_tool_call_result(*reply);
  if (!outcome.ok) FUZZ_CHECK(!outcome.text.empty());
  const auto result = tools::mcp::tool_result_from_mcp(outcome);
  (void)result.result.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  const auto m = protocol::parse_json_text(text);
  // The text of a tool answer is read on its own too (an action object, or plain text).
  (void)tools::mcp::tool_result_from_mcp({true, std::string(text)});
  if (m.is_discarded()) return 0;
  if (m.is_array()) {  // a batch
    for (const auto& one : m) check_one(one);
  } else {
    check_one(m);
  }
  return 0;
}
