#pragma once
// The device's own MCP server (device-protocol.md §5), reached over its session link as
// {"type":"mcp","payload":...} messages. After a hello with features.mcp, start() runs
// initialize (handing the device the vision URL and token), notifications/initialized
// and tools/list (every page) in the background, so the first turn never waits for it.
// The AI-visible tools are offered to the session's registry; user-only tools
// (annotations.audience ["user"]) are kept for the operator's push API only.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include "core/async.h"
#include "core/log.h"
#include "protocol/mcp_jsonrpc.h"
#include "session/device_link.h"
#include "tools/tool.h"

namespace xz::tools::mcp {
class SharedToolLists;
}

namespace xz::pipeline {

struct DeviceMcpOptions {
  std::chrono::milliseconds init_timeout{10000};  // initialize and each tools/list page
  std::chrono::milliseconds call_timeout{30000};  // one tools/call
  nlohmann::json capabilities = nlohmann::json::object();  // e.g. {"vision":{"url","token"}}
  tools::mcp::SharedToolLists* shared_lists = nullptr;     // null: the session keeps its own copy
  // A device listing more tools keeps the first ones; a tool whose JSON (name,
  // description, schema) is larger is dropped. Each logged once per list.
  std::size_t max_tools = 64;
  std::size_t max_tool_bytes = 8192;
};

class DeviceMcp {
 public:
  // Everything runs on `ex`, the session's executor; `link` outlives this object.
  DeviceMcp(boost::asio::any_io_executor ex, session::DeviceLink& link, std::string session_id,
            DeviceMcpOptions opts, const core::SessionLog& log);
  ~DeviceMcp();
  DeviceMcp(const DeviceMcp&) = delete;
  DeviceMcp& operator=(const DeviceMcp&) = delete;

  // Starts initialize + tools/list; `on_tools` gets the AI-visible tools once listed
  // (and again after the device's list changes). Call once.
  void start(std::function<void(tools::ToolList)> on_tools);
  // One "mcp" message from the device (its payload).
  void on_message(const nlohmann::json& payload);
  // Calls a device tool by its own name (user-only tools too). Throws McpError when the
  // device has no MCP, is not ready, or does not answer in time.
  core::Task<protocol::McpCallOutcome> call(std::string name, nlohmann::json arguments);
  // The same, as the LLM's tool result: failures become an error result, never a throw.
  core::Task<tools::ToolResult> run_tool(std::string name, nlohmann::json arguments);
  // Every tool the device listed, user-only ones included.
  std::vector<protocol::McpTool> tools() const;
  bool ready() const;
  // Fails calls in flight; idempotent.
  core::Task<void> close();

  struct Core;

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace xz::pipeline
