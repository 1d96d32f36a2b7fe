#pragma once
// The Home Assistant REST API as the hass_* functions use it: entity states and
// service calls with a long-lived access token (plugins.home_assistant.*).
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "net/http_client.h"
#include "tools/builtin/plugin_config.h"
#include "tools/builtin/web_api.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/tool.h"

namespace xz::tools::builtin {

struct HomeAssistantSettings {
  std::string base_url;              // e.g. http://homeassistant.local:8123
  std::string api_key;               // long-lived access token
  std::vector<std::string> devices;  // "location,name,entity_id" lines, shown to the LLM
  std::chrono::milliseconds timeout{10000};

  // From plugins.home_assistant (or the reference's older plugins.hass_get_state).
  static HomeAssistantSettings from(const core::Config& cfg, std::vector<std::string>& problems);
  // "Known devices (location, name, entity_id): ..." or "" without devices.
  std::string device_list() const;
};

// "light.kitchen": a domain and an object id of lower-case letters, digits and '_'.
bool valid_entity_id(std::string_view id);
std::string entity_domain(std::string_view id);

class HomeAssistant {
 public:
  HomeAssistant(HomeAssistantSettings settings, std::shared_ptr<net::HttpClient> http);

  // GET /api/states/{entity_id}. Any HTTP status is returned; network errors and
  // timeouts throw WebApiError.
  boost::asio::awaitable<WebApiReply> get_state(std::string entity_id);
  // POST /api/services/{domain}/{service} with `data` as the JSON body.
  boost::asio::awaitable<WebApiReply> call_service(std::string domain, std::string service, nlohmann::json data);

  const HomeAssistantSettings& settings() const { return settings_; }

 private:
  HomeAssistantSettings settings_;
  std::shared_ptr<net::HttpClient> http_;
};

// What to tell the user when Home Assistant could not be used at all.
inline constexpr std::string_view kHomeAssistantUnreachable =
    "Sorry, I can't reach your smart home right now. Please try again later.";

// The result for a non-2xx reply to `what` ("getting light.kitchen"): a rejected token
// or a server error is an error the user hears about; anything else (unknown entity or
// service, bad value) goes back to the LLM, which can correct the call or explain.
ToolResult home_assistant_failure(const WebApiReply& reply, std::string_view what, const HomeAssistantSettings& s);
// For network errors and timeouts.
ToolResult home_assistant_unreachable(const WebApiError& e);

}  // namespace xz::tools::builtin
