#pragma once
// A tool offered by an MCP server, as the session's ToolRegistry sees it. The call is
// carried to the backend that owns the connection (on the backend's executor, which
// may be another loop than the caller's) and its answer mapped to a ToolResult.
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include "core/async.h"
#include "providers/tts/tts.h"  // tools/tool.h names providers::PcmChunk without including it
#include "tools/tool.h"

namespace xz::tools::mcp {

// Owns MCP connections and runs calls on them; lives on executor().
class McpToolBackend {
 public:
  virtual ~McpToolBackend() = default;
  virtual boost::asio::any_io_executor executor() const = 0;
  // Runs on executor(). Failures of the server or the connection become error results.
  virtual core::Task<ToolResult> call_tool(std::string server, std::string tool, nlohmann::json arguments) = 0;
};

class McpRemoteTool final : public Tool {
 public:
  // `schema.name` is what the LLM sees; `mcp_name` is the server's own name for it.
  McpRemoteTool(providers::ToolSchema schema, std::string server, std::string mcp_name,
                std::weak_ptr<McpToolBackend> backend);

  const providers::ToolSchema& schema() const override { return schema_; }
  core::Task<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

  const std::string& server() const { return server_; }
  const std::string& mcp_name() const { return mcp_name_; }

 private:
  providers::ToolSchema schema_;
  std::string server_;
  std::string mcp_name_;
  std::weak_ptr<McpToolBackend> backend_;
};

}  // namespace xz::tools::mcp
