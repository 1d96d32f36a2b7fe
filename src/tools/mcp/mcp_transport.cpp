#include "tools/mcp/mcp_transport.h"

#include <spdlog/spdlog.h>

namespace xz::tools::mcp {

void deliver_message(const McpTransportHandlers& handlers, nlohmann::json message, std::string_view server) {
  if (!handlers.on_message) return;
  try {
    handlers.on_message(std::move(message));
  } catch (const std::exception& e) {
    spdlog::warn("mcp[{}]: skipped a message that could not be handled: {}", server, e.what());
  }
}

}  // namespace xz::tools::mcp
