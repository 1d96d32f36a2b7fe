#pragma once
// Keeps one MCP server connected: connects (a fresh transport and McpSession per
// attempt), and after a failed attempt or a lost connection tries again with
// exponential back-off (min, 2*min, ... up to max; a connection that stayed up for
// `stable_after` starts the back-off over). Lives on one serial executor.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "core/async.h"
#include "tools/mcp/mcp_session.h"
#include "tools/mcp/mcp_transport.h"

namespace xz::tools::mcp {

struct McpConnectorOptions {
  McpSessionOptions session;  // label, client info, initialize/list timeout
  std::chrono::milliseconds backoff_min{1000};
  std::chrono::milliseconds backoff_max{60000};
  std::chrono::milliseconds stable_after{60000};
};

using McpTransportFactory = std::function<std::shared_ptr<McpTransport>()>;

class McpConnector : public std::enable_shared_from_this<McpConnector> {
 public:
  static std::shared_ptr<McpConnector> create(boost::asio::any_io_executor ex, McpTransportFactory make_transport,
                                              McpConnectorOptions opts);
  McpConnector(const McpConnector&) = delete;
  McpConnector& operator=(const McpConnector&) = delete;

  // Called on the executor whenever tools() or connected() changed.
  void set_change_handler(std::function<void()> fn) { on_change_ = std::move(fn); }
  // Starts the connect loop (once).
  void start();
  // Closes the connection (a child is terminated) and waits for the loop to end.
  core::Task<void> stop();

  bool connected() const { return session_ != nullptr; }
  const std::vector<protocol::McpTool>& tools() const;
  // The transport of the current or last attempt (e.g. for a child's pid).
  std::shared_ptr<McpTransport> transport() const { return transport_; }
  std::size_t connects() const { return connects_; }
  std::size_t attempts() const { return attempts_; }
  const std::string& last_error() const { return last_error_; }
  const std::string& label() const { return opts_.session.label; }

  // tools/call on the current connection. Throws McpError when not connected.
  core::Task<protocol::McpCallOutcome> call_tool(std::string name, nlohmann::json arguments,
                                                 std::chrono::milliseconds timeout);

 private:
  McpConnector(boost::asio::any_io_executor ex, McpTransportFactory make_transport, McpConnectorOptions opts);
  static core::Task<void> run(std::shared_ptr<McpConnector> self);
  core::Task<void> attempt();
  void changed();

  boost::asio::any_io_executor ex_;
  McpTransportFactory make_transport_;
  McpConnectorOptions opts_;
  std::function<void()> on_change_;
  std::shared_ptr<McpTransport> transport_;
  std::shared_ptr<McpSession> session_;  // set while connected
  std::size_t connects_ = 0;
  std::size_t attempts_ = 0;
  std::string last_error_;
  bool started_ = false;
  core::Event stop_;
  core::Event done_;
};

}  // namespace xz::tools::mcp
