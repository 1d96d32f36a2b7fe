#pragma once
// MCP "Streamable HTTP" (protocol 2025-03-26): every message is POSTed to one URL; a
// request is answered with JSON or with an SSE stream that ends with the response;
// notifications get 202. The Mcp-Session-Id the server hands out with the initialize
// answer is sent back on every later request. After initialize an optional GET stream
// carries server notifications (tools/list_changed); a server without one answers 405.
// A 404 for a known session means the server forgot it: the transport reports itself
// closed, so the owner reconnects.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include "core/async.h"
#include "net/http_client.h"
#include "tools/mcp/mcp_transport.h"

namespace xz::tools::mcp {

struct StreamableHttpOptions {
  std::string name;  // the server's name, for logs and errors
  std::string url;
  net::HttpHeaders headers;                          // added to every request
  std::chrono::milliseconds timeout{30000};          // connect; and a whole notification POST
  std::chrono::milliseconds sse_read_timeout{300000};  // idle bound of the GET stream
  bool notification_stream = true;                   // open the GET stream after initialize
  std::size_t max_message_bytes = 4 * 1024 * 1024;
};

class StreamableHttpTransport final : public McpTransport,
                                      public std::enable_shared_from_this<StreamableHttpTransport> {
 public:
  StreamableHttpTransport(boost::asio::any_io_executor ex, std::shared_ptr<net::HttpClient> client,
                          StreamableHttpOptions opts);

  boost::asio::awaitable<void> open(McpTransportHandlers handlers) override;
  boost::asio::awaitable<void> send(nlohmann::json message) override;
  void initialized(const std::string& protocol_version) override;
  boost::asio::awaitable<void> close() override;
  std::string describe() const override { return opts_.url; }

  const std::string& session_id() const { return session_id_; }
  // True while the GET notification stream is connected.
  bool listening() const { return listening_; }

 private:
  net::HttpClientRequest make_request(std::string method) const;
  void deliver(nlohmann::json message);
  void report_closed(std::string reason);
  static core::Task<void> listen(std::shared_ptr<StreamableHttpTransport> self);
  static core::Task<bool> listen_once(std::shared_ptr<StreamableHttpTransport> self);

  boost::asio::any_io_executor ex_;
  std::shared_ptr<net::HttpClient> client_;
  StreamableHttpOptions opts_;
  McpTransportHandlers handlers_;
  std::string session_id_;
  std::string protocol_version_;
  std::string last_event_id_;
  bool open_ = false;
  bool closed_ = false;
  bool listening_ = false;
  std::unique_ptr<core::Event> stop_listening_;
};

}  // namespace xz::tools::mcp
