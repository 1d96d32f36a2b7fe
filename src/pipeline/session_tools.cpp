#include "pipeline/session_tools.h"

#include <boost/asio/post.hpp>

#include "protocol/server_messages.h"
#include "tools/mcp/mcp_endpoint_client.h"
#include "tools/mcp/server_mcp_hub.h"

namespace xz::pipeline {

namespace asio = boost::asio;

SessionTools::SessionTools(asio::any_io_executor ex, session::DeviceLink& link, const std::string& session_id,
                           const std::string& device_id, const core::SessionLog& log, VoiceServices& svc,
                           const ProfilePtr& profile)
    : ex_(ex),
      log_(log),
      svc_(svc),
      profile_(profile),
      registry_(log),
      iot_([&link, &session_id](nlohmann::json commands) {
             link.send_text(protocol::make_iot_commands(session_id, commands));
           },
           tools::IotLimits{profile->settings->max_iot_things, profile->settings->max_device_tools,
                            profile->settings->max_device_tool_bytes}),
      device_mcp_(ex, link, session_id,
                  DeviceMcpOptions{std::chrono::milliseconds(10000), profile->settings->tool_call_timeout,
                                   svc.device_capabilities ? svc.device_capabilities(device_id) : nlohmann::json::object(),
                                   svc.device_tool_lists, profile->settings->max_device_tools,
                                   profile->settings->max_device_tool_bytes},
                  log) {}

SessionTools::~SessionTools() = default;

bool SessionTools::offers_tools() const { return profile_->settings->intent != "nointent"; }

void SessionTools::connect() {
  if (!offers_tools()) return;
  // Lists are shared, not copied: a session holds one pointer per source.
  registry_.set_source(tools::ToolSource::builtin, profile_->builtin_tools);
  if (svc_.server_mcp) {
    registry_.set_source(tools::ToolSource::server_mcp, svc_.server_mcp->tools());
    // Called on the hub's loop: hop to ours; `alive` guards against closed tools.
    std::weak_ptr<bool> alive = alive_;
    hub_subscription_ = svc_.server_mcp->on_tools_changed([this, alive, ex = ex_] {
      asio::post(ex, [this, alive] {
        if (alive.lock()) registry_.set_source(tools::ToolSource::server_mcp, svc_.server_mcp->tools());
      });
    });
  }
  if (!profile_->mcp_endpoint_url.empty()) {
    tools::mcp::McpEndpointOptions eo;
    eo.url = profile_->mcp_endpoint_url;
    eo.tls_context = profile_->mcp_endpoint_tls;
    eo.call_timeout = profile_->settings->tool_call_timeout;
    endpoint_ = std::make_unique<tools::mcp::McpEndpointClient>(ex_, std::move(eo), log_);
    endpoint_->set_tools_handler([this](std::vector<tools::ToolPtr> t) {
      registry_.set_source(tools::ToolSource::mcp_endpoint, tools::share_tools(std::move(t)));
    });
    endpoint_->start();
  }
}

void SessionTools::start_device_mcp() {
  device_mcp_.start([this](tools::ToolList t) {
    if (offers_tools()) registry_.set_source(tools::ToolSource::device_mcp, std::move(t));
  });
}

void SessionTools::on_mcp(const nlohmann::json& payload) { device_mcp_.on_message(payload); }

void SessionTools::on_iot(const protocol::IotMsg& msg) {
  if (!msg.descriptors.is_null()) {
    std::string error;
    if (!iot_.add_descriptors(msg.descriptors, &error)) log_.warn("iot: {}", error);
    auto tools = iot_.tools();
    // Logged when the count changes: a device repeating its descriptors adds no lines.
    if (tools.size() != iot_tools_logged_) {
      iot_tools_logged_ = tools.size();
      log_.info("iot: {} tool(s) from the device's {} thing(s)", tools.size(), iot_.thing_count());
    }
    if (offers_tools()) registry_.set_source(tools::ToolSource::iot, tools::share_tools(std::move(tools)));
  }
  if (!msg.states.is_null()) iot_.update_states(msg.states);
}

void SessionTools::adopt(const VoiceProfile& next) {
  if (next.builtin_tools != profile_->builtin_tools && next.settings->intent != "nointent")
    registry_.set_source(tools::ToolSource::builtin, next.builtin_tools);
}

asio::awaitable<protocol::McpCallOutcome> SessionTools::call_device_tool(std::string name, nlohmann::json arguments) {
  co_return co_await device_mcp_.call(std::move(name), std::move(arguments));
}

asio::awaitable<tools::ToolResult> SessionTools::run_device_tool(std::string name, nlohmann::json arguments) {
  co_return co_await device_mcp_.run_tool(std::move(name), std::move(arguments));
}

nlohmann::json SessionTools::describe_tools() const {
  nlohmann::json llm = nlohmann::json::array();
  for (const auto& schema : registry_.schemas()) llm.push_back(schema.name);
  nlohmann::json device = nlohmann::json::array();
  for (const auto& t : device_mcp_.tools())
    device.push_back({{"name", t.name}, {"description", t.description}, {"user_only", t.user_only}});
  return {{"llm", std::move(llm)}, {"device", std::move(device)}, {"device_mcp_ready", device_mcp_.ready()}};
}

asio::awaitable<void> SessionTools::close() {
  hub_subscription_.reset();
  co_await device_mcp_.close();
  if (endpoint_) co_await endpoint_->close();
}

}  // namespace xz::pipeline
