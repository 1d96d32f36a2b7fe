#pragma once
// One connection to an MCP server, over any transport: the JSON-RPC client side.
// start() runs `initialize`, sends `notifications/initialized` and lists the tools
// (following nextCursor); call_tool() runs `tools/call` with its own deadline. Ids are
// integers unique among the requests in flight; answers are matched by id. A
// `notifications/tools/list_changed` refreshes the list and tells the listener; a
// request from the server is answered with a JSON-RPC error (no sampling, no roots),
// except `ping`. Everything runs on the executor given to create().
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include "core/async.h"
#include "protocol/mcp_jsonrpc.h"
#include "tools/mcp/mcp_transport.h"

namespace xz::tools::mcp {

struct McpSessionOptions {
  std::string label = "MCP server";  // in every error message: "MCP server 'fetch'"
  std::string client_name = "xiaozhi-server";
  std::string client_version = "1.0.0";
  std::string protocol_version = "2024-11-05";      // what we ask for; the server decides
  std::chrono::milliseconds request_timeout{10000};  // initialize and each tools/list page
  std::size_t max_tools = 1000;
  std::size_t max_pages = 100;
  std::size_t max_pending = 256;  // requests in flight
  // initialize's params.capabilities (a device reads capabilities.vision{url, token}).
  nlohmann::json capabilities = nlohmann::json::object();
  // tools/list asks for user-only tools too (firmware >= 2.0; older ones ignore it).
  bool with_user_tools = false;
  // Turns each new tool list into the copy the session keeps (e.g. one shared by every
  // device listing the same tools); empty = a copy of its own.
  std::function<std::shared_ptr<const std::vector<protocol::McpTool>>(std::vector<protocol::McpTool>)> keep_tools;
};

class McpSession : public std::enable_shared_from_this<McpSession> {
 public:
  static std::shared_ptr<McpSession> create(boost::asio::any_io_executor ex, std::shared_ptr<McpTransport> transport,
                                            McpSessionOptions opts);
  McpSession(const McpSession&) = delete;
  McpSession& operator=(const McpSession&) = delete;

  // Opens the transport, initializes and lists the tools. Throws McpError (the
  // transport is closed again then).
  core::Task<void> start();

  // tools/call. A JSON-RPC error or isError:true gives ok = false. Throws McpError when
  // there is no answer in time or the connection is gone; arguments must be an object
  // (or null).
  core::Task<protocol::McpCallOutcome> call_tool(std::string name, nlohmann::json arguments,
                                                 std::chrono::milliseconds timeout);
  // Any request; its result. A JSON-RPC error is thrown as McpError.
  core::Task<nlohmann::json> request(std::string method, nlohmann::json params, std::chrono::milliseconds timeout);
  // Lists the tools again (all pages) and replaces tools().
  core::Task<void> refresh_tools();

  const std::vector<protocol::McpTool>& tools() const { return *tools_; }
  // After every refresh caused by the server's list_changed notification.
  void set_tools_changed_handler(std::function<void()> fn) { tools_changed_ = std::move(fn); }
  // When the connection ends by itself (not after close()).
  void set_closed_handler(std::function<void(const std::string&)> fn) { closed_handler_ = std::move(fn); }

  bool is_open() const { return open_; }
  const std::string& close_reason() const { return close_reason_; }
  const nlohmann::json& server_info() const { return server_info_; }
  const std::string& protocol_version() const { return protocol_version_; }
  std::size_t pending_requests() const { return pending_.size(); }
  McpTransport& transport() { return *transport_; }

  // Fails the requests in flight and closes the transport. Idempotent.
  core::Task<void> close();

 private:
  McpSession(boost::asio::any_io_executor ex, std::shared_ptr<McpTransport> transport, McpSessionOptions opts);

  struct Pending {
    explicit Pending(boost::asio::any_io_executor ex) : done(std::move(ex)) {}
    core::Event done;
    std::optional<protocol::McpReply> reply;
    std::string failure;  // full error text
  };

  core::Task<protocol::McpReply> exchange(nlohmann::json message, int id, std::string what,
                                          std::chrono::milliseconds timeout);
  static core::Task<void> send_and_wait(std::shared_ptr<McpTransport> transport, std::shared_ptr<Pending> p,
                                        nlohmann::json message);
  static core::Task<void> send_detached(std::shared_ptr<McpSession> self, nlohmann::json message);
  static core::Task<void> refresh_loop(std::shared_ptr<McpSession> self);
  core::Task<void> initialize();
  int next_id();
  void on_message(nlohmann::json message);
  void on_one_message(const nlohmann::json& message);
  void on_notification(const std::string& method, const nlohmann::json& params);
  void on_transport_closed(std::string reason);
  void fail_pending(const std::string& why);
  void schedule_refresh();

  boost::asio::any_io_executor ex_;
  std::shared_ptr<McpTransport> transport_;
  McpSessionOptions opts_;
  std::map<long long, std::shared_ptr<Pending>> pending_;
  int next_id_ = 1;
  bool open_ = false;
  bool closed_ = false;  // close() was called
  bool initialized_ = false;
  bool refreshing_ = false;
  bool refresh_requested_ = false;
  std::string close_reason_;
  std::string protocol_version_;
  nlohmann::json server_info_ = nlohmann::json::object();
  std::shared_ptr<const std::vector<protocol::McpTool>> tools_ =
      std::make_shared<const std::vector<protocol::McpTool>>();
  std::function<void()> tools_changed_;
  std::function<void(const std::string&)> closed_handler_;
};

}  // namespace xz::tools::mcp
