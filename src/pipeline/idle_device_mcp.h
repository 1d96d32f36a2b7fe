#pragma once
// session::IdleDevice with the device MCP client: an MQTT device between conversations
// is initialised and listed once after it logs in (as the reference's gateway does) and
// its tools stay callable through the push API. Its request ids are shifted by
// session::kIdleMcpFirstId on the wire (and back on the answers), so the device's answers
// are told apart from those for a conversation's own client on the same connection.
#include <memory>

#include "pipeline/device_mcp.h"
#include "session/idle_device.h"

namespace xz::pipeline {

class IdleDeviceMcp final : public session::IdleDevice {
 public:
  IdleDeviceMcp(const session::IdleDeviceContext& ctx, DeviceMcpOptions opts);
  ~IdleDeviceMcp() override;

  void start() override;
  void on_mcp(const nlohmann::json& payload) override;
  boost::asio::awaitable<protocol::McpCallOutcome> call_tool(std::string name, nlohmann::json arguments) override;
  nlohmann::json describe_tools() const override;
  boost::asio::awaitable<void> stop() override;

  class PublishLink;

 private:
  core::SessionLog log_;
  std::unique_ptr<PublishLink> link_;
  DeviceMcp mcp_;
};

}  // namespace xz::pipeline
