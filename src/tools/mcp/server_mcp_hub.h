#pragma once
// The server-side MCP servers of .mcp_server_settings.json, shared by every device
// session: each server is started ONCE per process (a stdio server is one child
// process, whatever the number of devices), in the background, and kept connected
// (reconnect with exponential back-off 1 s .. 60 s). Their tools are offered as
// tools::Tool objects; a call is carried to the hub's executor and back, so sessions on
// any loop may call them. A tool name that two servers share is prefixed with the
// server's name ("<server>_<tool>"); other names stay as the server gives them.
//
//   auto hub = std::make_unique<ServerMcpHub>(rt.loop(0).get_executor(),
//                  load_mcp_server_settings(mcp_server_settings_path(data_dir)));
//   hub->start();                        // returns at once
//   registry.set_source(ToolSource::server_mcp, hub->tools());
//   ... co_await hub->shutdown();        // children terminated and reaped
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "core/async.h"
#include "tools/mcp/mcp_server_settings.h"
#include "providers/tts/tts.h"  // tools/tool.h names providers::PcmChunk without including it
#include "tools/tool.h"

namespace xz::tools::mcp {

struct ServerMcpHubOptions {
  std::chrono::milliseconds init_timeout{10000};  // initialize and tools/list
  std::chrono::milliseconds call_timeout{30000};  // one tools/call
  std::chrono::milliseconds backoff_min{1000};
  std::chrono::milliseconds backoff_max{60000};
  std::chrono::milliseconds stable_after{60000};  // uptime that resets the back-off
  std::chrono::milliseconds exit_grace{2000};     // stdio: stdin closed -> SIGTERM -> SIGKILL steps
};

struct McpServerStatus {
  std::string name;
  McpTransportKind transport = McpTransportKind::stdio;
  bool connected = false;
  std::optional<int> pid;     // a stdio server's child process while it runs
  std::size_t connects = 0;   // successful connections so far
  std::size_t attempts = 0;   // connection attempts so far
  std::size_t tools = 0;
  std::string last_error;
};

class ServerMcpHub {
 public:
  // `ex` may be any executor; the hub serialises itself on a strand of it.
  ServerMcpHub(boost::asio::any_io_executor ex, std::vector<McpServerSpec> servers, ServerMcpHubOptions opts = {});
  // Without an awaited shutdown(), the connections are stopped in the background.
  ~ServerMcpHub();
  ServerMcpHub(const ServerMcpHub&) = delete;
  ServerMcpHub& operator=(const ServerMcpHub&) = delete;

  // Starts connecting every server; returns at once. Call once.
  void start();
  // Closes every connection (children terminated and reaped) and waits for that.
  // Callable from any executor.
  core::Task<void> shutdown();

  std::size_t server_count() const;
  // The tools of the connected servers: one list every session shares. Thread-safe.
  ToolList tools() const;
  // Bumped whenever tools() changes. Thread-safe.
  std::uint64_t tools_version() const;
  // Calls `fn` (on the hub's executor: post to your own) whenever tools() changed, as
  // long as the returned token is held.
  [[nodiscard]] std::shared_ptr<void> on_tools_changed(std::function<void()> fn);
  // A snapshot per server. Thread-safe.
  std::vector<McpServerStatus> status() const;

  struct Core;

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace xz::tools::mcp
