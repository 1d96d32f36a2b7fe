#pragma once
// The tools one session offers its LLM and the tools it can call on the device: built-in
// tools, server-side MCP, the agent's MCP endpoint, the device's MCP server and its IoT
// things, kept in one registry. Knows nothing of replies or turns.
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/log.h"
#include "pipeline/device_mcp.h"
#include "pipeline/voice_profile.h"
#include "pipeline/voice_services.h"
#include "protocol/device_messages.h"
#include "protocol/mcp_jsonrpc.h"
#include "session/device_link.h"
#include "tools/iot_tools.h"
#include "tools/tool.h"
#include "tools/tool_registry.h"

namespace xz::tools::mcp {
class McpEndpointClient;
}

namespace xz::pipeline {

class SessionTools {
 public:
  // `profile` is the conversation's current one (read at each event: it may change).
  SessionTools(boost::asio::any_io_executor ex, session::DeviceLink& link, const std::string& session_id,
               const std::string& device_id, const core::SessionLog& log, VoiceServices& svc,
               const ProfilePtr& profile);
  ~SessionTools();

  // Offers the built-in, server MCP and endpoint tools (not with intent: nointent).
  void connect();
  // The device announced an MCP server in its hello.
  void start_device_mcp();
  void on_mcp(const nlohmann::json& payload);
  void on_iot(const protocol::IotMsg& msg);
  // A newer profile is adopted: its built-in tools replace the old ones.
  void adopt(const VoiceProfile& next);

  tools::ToolRegistry& registry() { return registry_; }
  const tools::ToolRegistry& registry() const { return registry_; }
  boost::asio::awaitable<protocol::McpCallOutcome> call_device_tool(std::string name, nlohmann::json arguments);
  boost::asio::awaitable<tools::ToolResult> run_device_tool(std::string name, nlohmann::json arguments);
  nlohmann::json describe_tools() const;

  // Stops listening to the server MCP hub, then closes the device MCP and the endpoint.
  boost::asio::awaitable<void> close();

 private:
  bool offers_tools() const;

  boost::asio::any_io_executor ex_;
  const core::SessionLog& log_;
  VoiceServices& svc_;
  const ProfilePtr& profile_;
  tools::ToolRegistry registry_;
  tools::IotThings iot_;
  std::size_t iot_tools_logged_ = 0;
  DeviceMcp device_mcp_;
  std::unique_ptr<tools::mcp::McpEndpointClient> endpoint_;
  std::shared_ptr<void> hub_subscription_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for callbacks posted from other loops
};

}  // namespace xz::pipeline
