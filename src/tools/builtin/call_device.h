#pragma once
// call_device(nickname): asks the reference's manager-api to call another device of the
// user's address book (GET <manager-api.url>/device/address-book/call?callerMac=&nickname=
// with the server secret; the manager rings the other device through the MQTT gateway)
// and says whether the call is being placed. Only placing a call: answering one (the
// reference's "[device_call]" announcements, answer=true) and holding the device in the
// call are the session's and the gateway's part, which this server does not have.
#include <chrono>
#include <memory>
#include <string>

#include "core/config.h"
#include "net/http_client.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/builtin/plugin_config.h"
#include "tools/tool.h"

namespace xz::tools::builtin {

struct CallDeviceSettings {
  std::string manager_url;  // manager-api.url, e.g. http://127.0.0.1:8002/xiaozhi
  std::string secret;       // manager-api.secret
  std::chrono::milliseconds timeout{10000};
  std::string description;

  // manager-api.url and .secret are required; plugins.call_device.{description,timeout}.
  static CallDeviceSettings from(const core::Config& cfg, const PluginConfig& pc, std::vector<std::string>& problems);
};

class CallDevice final : public Tool {
 public:
  CallDevice(CallDeviceSettings settings, std::shared_ptr<net::HttpClient> http);
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

 private:
  CallDeviceSettings settings_;
  std::shared_ptr<net::HttpClient> http_;
  providers::ToolSchema schema_;
};

}  // namespace xz::tools::builtin
