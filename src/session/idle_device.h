#pragma once
// A device connected over MQTT between conversations is still reachable: its MCP
// server answers at any time. The session layer owns this seam; pipeline/ implements
// it with the device MCP client (as it implements Conversation), apps/ wires it.
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/log.h"
#include "protocol/mcp_jsonrpc.h"
#include "session/identity.h"

namespace xz::session {

// Its JSON-RPC ids start here, far above any a conversation's own MCP client uses (they
// count from 1 per session), so the device's answers go to whoever asked.
inline constexpr int kIdleMcpFirstId = 1'000'000'000;

class IdleDevice {
 public:
  virtual ~IdleDevice() = default;
  // Starts initialize + tools/list (as the reference's gateway does after CONNECT).
  virtual void start() = 0;
  // An "mcp" message from the device whose id is this client's (>= kIdleMcpFirstId), or
  // any device MCP message between conversations.
  virtual void on_mcp(const nlohmann::json& payload) = 0;
  // Throws std::runtime_error when the device has no MCP or does not answer in time.
  virtual boost::asio::awaitable<protocol::McpCallOutcome> call_tool(std::string name, nlohmann::json arguments) = 0;
  // As Conversation::describe_tools.
  virtual nlohmann::json describe_tools() const = 0;
  // The connection is ending: fail calls in flight.
  virtual boost::asio::awaitable<void> stop() = 0;
};

struct IdleDeviceContext {
  boost::asio::any_io_executor executor;  // the MQTT connection's loop
  // Publishes one JSON text to the device; false when the connection is closing.
  std::function<bool(std::string)> send_text;
  const DeviceIdentity& identity;
  const core::SessionLog& log;
};

using IdleDeviceFactory = std::function<std::unique_ptr<IdleDevice>(const IdleDeviceContext&)>;

}  // namespace xz::session
