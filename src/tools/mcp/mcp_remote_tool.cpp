#include "tools/mcp/mcp_remote_tool.h"

#include "tools/mcp/run_on.h"
#include "tools/tool_runner.h"

namespace xz::tools::mcp {

namespace {

core::Task<ToolResult> call_backend(std::shared_ptr<McpToolBackend> backend, std::string server, std::string tool,
                                    nlohmann::json arguments) {
  co_return co_await backend->call_tool(std::move(server), std::move(tool), std::move(arguments));
}

}  // namespace

McpRemoteTool::McpRemoteTool(providers::ToolSchema schema, std::string server, std::string mcp_name,
                             std::weak_ptr<McpToolBackend> backend)
    : schema_(std::move(schema)),
      server_(std::move(server)),
      mcp_name_(std::move(mcp_name)),
      backend_(std::move(backend)) {}

core::Task<ToolResult> McpRemoteTool::call(nlohmann::json arguments, SessionActions& /*session*/) {
  auto backend = backend_.lock();
  if (!backend) co_return ToolResult{Action::error, "error: the MCP connection is gone", kToolFailedResponse};
  auto target = backend->executor();
  auto task = call_backend(std::move(backend), server_, mcp_name(), std::move(arguments));
  co_return co_await run_on(std::move(target), std::move(task));
}

}  // namespace xz::tools::mcp
