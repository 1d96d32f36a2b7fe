#pragma once
// What every conversation shares, whatever its profile: the pool, metrics, server-side
// tools and stores.
#include <functional>
#include <string>

#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "pipeline/ip_location.h"
#include "pipeline/prompt_context.h"
#include "pipeline/voice_metrics.h"
#include "pipeline/voice_profile.h"

namespace xz::history {
class ChatHistory;
}
namespace xz::tools::mcp {
class ServerMcpHub;
class SharedToolLists;
}  // namespace xz::tools::mcp

namespace xz::pipeline {

struct VoiceServices {
  boost::asio::thread_pool& pool;
  VoiceMetrics& metrics;
  tools::mcp::ServerMcpHub* server_mcp;  // null: no server-side MCP servers
  // initialize's capabilities for a device (its vision URL and token).
  std::function<nlohmann::json(const std::string& device_id)> device_capabilities;
  history::ChatHistory* history;                   // null: no chat history
  tools::mcp::SharedToolLists* device_tool_lists;  // null: each session keeps its device's list
  PromptContext* prompt_context;  // null: the prompt is used without a template (prompt_template: "")
  // Where a conversation gets a newer profile after the configuration changed; null:
  // profiles never change.
  ProfileSource* profiles = nullptr;
  // The city of a device's address, for tools (get_weather, get_place_info); null: unknown.
  IpLocator* ip_locator = nullptr;
};

}  // namespace xz::pipeline
