#pragma once
// A tool of the device's own MCP server, as the LLM sees it. It holds only its schema:
// the call goes through the calling session to that session's device, so one object
// serves every device listing the same tools (see SharedToolLists).
#include <utility>

#include "providers/tts/tts.h"  // tools/tool.h names providers::PcmChunk without including it
#include "tools/tool.h"

namespace xz::tools::mcp {

class DeviceTool final : public Tool {
 public:
  // `schema.name` is the device's own name for the tool.
  explicit DeviceTool(providers::ToolSchema schema) : schema_(std::move(schema)) {}

  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override {
    return session.run_device_tool(schema_.name, std::move(arguments));
  }

 private:
  providers::ToolSchema schema_;
};

}  // namespace xz::tools::mcp
