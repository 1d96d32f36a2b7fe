#pragma once
// The MCP endpoint (接入点, reference §5.6): per device session, a WebSocket JSON-RPC
// connection to the configured `mcp_endpoint` URL. The endpoint's tools are offered to
// that session's LLM; calls are answered by whatever program is bound to the endpoint.
// Reconnects with back-off while the session lives.
//
//   if (auto url = mcp_endpoint_call_url(config.str("mcp_endpoint"))) {
//     endpoint = std::make_unique<McpEndpointClient>(session_ex, McpEndpointOptions{.url = *url}, log);
//     endpoint->set_tools_handler([&](std::vector<ToolPtr> t) { registry.set_source(ToolSource::mcp_endpoint, share_tools(t)); });
//     endpoint->start();
//   }
//   ... co_await endpoint->close();
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "core/async.h"
#include "core/log.h"
#include "providers/tts/tts.h"  // tools/tool.h names providers::PcmChunk without including it
#include "tools/tool.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace xz::tools::mcp {

// The URL to connect to for a configured mcp_endpoint value: "/mcp/" becomes "/call/"
// (the reference's rule). std::nullopt when the endpoint is off: empty, "null", or the
// config template's placeholder (contains "你的"). Throws McpError when set to
// something that is not a ws:// or wss:// URL.
std::optional<std::string> mcp_endpoint_call_url(std::string_view configured);

struct McpEndpointOptions {
  std::string url;  // as returned by mcp_endpoint_call_url()
  // wss://: one context shared by every session (see net::WsClientOptions).
  std::shared_ptr<boost::asio::ssl::context> tls_context;
  std::chrono::milliseconds init_timeout{10000};  // connect, initialize, tools/list
  std::chrono::milliseconds call_timeout{30000};
  std::chrono::milliseconds backoff_min{1000};
  std::chrono::milliseconds backoff_max{60000};
};

class McpEndpointClient {
 public:
  // All work happens on `session_ex` (the device session's executor).
  McpEndpointClient(boost::asio::any_io_executor session_ex, McpEndpointOptions opts, core::SessionLog log);
  // Without an awaited close(), the connection is stopped in the background.
  ~McpEndpointClient();
  McpEndpointClient(const McpEndpointClient&) = delete;
  McpEndpointClient& operator=(const McpEndpointClient&) = delete;

  // Called on the session's executor with the full tool list whenever it changes
  // (connected, list_changed, connection lost -> empty).
  void set_tools_handler(std::function<void(std::vector<ToolPtr>)> fn);
  // Starts connecting; returns at once.
  void start();
  // Closes the connection and waits for that. Call on the session's executor.
  core::Task<void> close();

  // On the session's executor.
  const std::vector<ToolPtr>& tools() const;
  bool connected() const;
  std::size_t connects() const;

  struct Core;

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace xz::tools::mcp
