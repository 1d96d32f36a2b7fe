#pragma once
// The legacy MCP "HTTP+SSE" transport (protocol 2024-11-05): a GET opens an event
// stream whose first `endpoint` event names the URL to POST messages to; every answer
// and notification arrives on the stream as a `message` event.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "core/async.h"
#include "net/http_client.h"
#include "tools/mcp/mcp_transport.h"

namespace xz::tools::mcp {

struct SseTransportOptions {
  std::string name;  // the server's name, for logs and errors
  std::string url;   // of the event stream
  net::HttpHeaders headers;
  std::chrono::milliseconds timeout{5000};             // connect, the endpoint event, each POST
  std::chrono::milliseconds sse_read_timeout{300000};  // idle bound of the stream
  std::size_t max_message_bytes = 4 * 1024 * 1024;
};

// The absolute URL of an `endpoint` event's data, resolved against the stream's URL.
// Throws McpError when it is not a URL reference or points to another origin (a
// server must not redirect our messages elsewhere).
std::string resolve_sse_endpoint(std::string_view stream_url, std::string_view endpoint);

class SseTransport final : public McpTransport, public std::enable_shared_from_this<SseTransport> {
 public:
  SseTransport(boost::asio::any_io_executor ex, std::shared_ptr<net::HttpClient> client, SseTransportOptions opts);

  boost::asio::awaitable<void> open(McpTransportHandlers handlers) override;
  boost::asio::awaitable<void> send(nlohmann::json message) override;
  boost::asio::awaitable<void> close() override;
  std::string describe() const override { return opts_.url; }

  const std::string& endpoint() const { return endpoint_; }

 private:
  static core::Task<void> read_stream(std::shared_ptr<SseTransport> self);
  static core::Task<net::HttpClientResponse> stream_once(std::shared_ptr<SseTransport> self);
  void report_closed(std::string reason);

  boost::asio::any_io_executor ex_;
  std::shared_ptr<net::HttpClient> client_;
  SseTransportOptions opts_;
  McpTransportHandlers handlers_;
  std::string endpoint_;
  std::string failure_;  // why the stream ended before the endpoint event
  bool opened_ = false;
  bool closed_ = false;
  core::Event ready_;  // endpoint known, or failure_ set
  core::Event stop_;
};

}  // namespace xz::tools::mcp
