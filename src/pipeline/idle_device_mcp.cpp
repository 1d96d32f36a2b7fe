#include "pipeline/idle_device_mcp.h"

#include "protocol/json_text.h"

namespace xz::pipeline {

namespace asio = boost::asio;

// DeviceMcp speaks through a DeviceLink; between conversations there is only the MQTT
// connection, which carries text.
class IdleDeviceMcp::PublishLink final : public session::DeviceLink {
 public:
  PublishLink(asio::any_io_executor ex, std::function<bool(std::string)> send, std::string address)
      : ex_(std::move(ex)), send_(std::move(send)), address_(std::move(address)) {}
  asio::awaitable<session::DeviceInput> receive() override { co_return session::DeviceInput{}; }
  // DeviceMcp numbers its requests from 1; on the wire they are kIdleMcpFirstId + n.
  bool send_text(std::string json) override {
    if (!send_) return false;
    auto msg = protocol::parse_json_text(json);
    if (msg.is_object() && msg.contains("payload") && msg["payload"].is_object()) {
      auto& payload = msg["payload"];
      if (auto id = payload.find("id"); id != payload.end() && id->is_number_integer()) {
        *id = id->get<long long>() + session::kIdleMcpFirstId;
        json = msg.dump();
      }
    }
    return send_(std::move(json));
  }
  bool send_audio(std::string_view, std::uint32_t) override { return false; }
  std::size_t queued_bytes() const override { return 0; }
  void on_hello(const protocol::HelloMsg&, protocol::ServerHello&) override {}
  void close(std::string) override { send_ = nullptr; }
  void abort() override { send_ = nullptr; }
  std::string transport() const override { return "mqtt"; }
  std::string remote_address() const override { return address_; }
  asio::any_io_executor executor() const override { return ex_; }

 private:
  asio::any_io_executor ex_;
  std::function<bool(std::string)> send_;
  std::string address_;
};

IdleDeviceMcp::IdleDeviceMcp(const session::IdleDeviceContext& ctx, DeviceMcpOptions opts)
    : log_(ctx.log),
      link_(std::make_unique<PublishLink>(ctx.executor, ctx.send_text, ctx.identity.remote_ip)),
      mcp_(ctx.executor, *link_, "", std::move(opts), log_) {}

IdleDeviceMcp::~IdleDeviceMcp() = default;

void IdleDeviceMcp::start() { mcp_.start(nullptr); }

void IdleDeviceMcp::on_mcp(const nlohmann::json& payload) {
  auto id = payload.find("id");
  if (id == payload.end() || !id->is_number_integer() || id->get<long long>() < session::kIdleMcpFirstId) {
    mcp_.on_message(payload);  // notifications; an answer to someone else finds no request here
    return;
  }
  nlohmann::json own = payload;
  own["id"] = id->get<long long>() - session::kIdleMcpFirstId;
  mcp_.on_message(own);
}

asio::awaitable<protocol::McpCallOutcome> IdleDeviceMcp::call_tool(std::string name, nlohmann::json arguments) {
  co_return co_await mcp_.call(std::move(name), std::move(arguments));
}

nlohmann::json IdleDeviceMcp::describe_tools() const {
  nlohmann::json device = nlohmann::json::array();
  for (const auto& t : mcp_.tools())
    device.push_back({{"name", t.name}, {"description", t.description}, {"user_only", t.user_only}});
  // No conversation: no LLM sees these now.
  return {{"llm", nlohmann::json::array()}, {"device", std::move(device)}, {"device_mcp_ready", mcp_.ready()}};
}

asio::awaitable<void> IdleDeviceMcp::stop() {
  link_->close("");
  co_await mcp_.close();
}

}  // namespace xz::pipeline
