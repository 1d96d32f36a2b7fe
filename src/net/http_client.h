#pragma once
// An HTTP/1.1 client for http:// and https:// in coroutines: whole-body requests and
// bodies streamed as they arrive (SSE from LLM APIs, PCM from TTS APIs). TLS verifies
// the peer against the system CA store (plus an optional extra CA) and sends SNI.
//
// Connections are kept alive and reused per (executor, scheme, host, port): one client
// may be shared by every event loop; a socket is only ever handed to coroutines running
// on the executor it was opened on, and the small idle list is guarded by a mutex.
//
// Cancelling the awaiting coroutine (asio per-operation cancellation, terminal) stops
// the socket operation at once and drops the connection. The client must be destroyed
// before the io_contexts its requests ran on (it may hold their idle sockets).
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace xz::net {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpClientOptions {
  std::string ca_file{};     // extra trusted CA certificates (PEM file), added to the system store
  std::string ca_pem{};      // the same, in memory (tests with a self-signed server)
  bool verify_peer = true;   // false disables certificate checks: never for real endpoints
  std::size_t max_idle_per_host = 4;
  std::chrono::seconds idle_timeout{30};  // idle connections older than this are closed, not reused
};

struct HttpClientRequest {
  std::string method = "POST";
  std::string url{};
  HttpHeaders headers{};  // Host, Content-Length and User-Agent are set by the client
  std::string body{};
  std::chrono::milliseconds connect_timeout{10000};  // resolve + connect + TLS handshake
  // The whole exchange; time spent inside a stream() handler does not count (a slow
  // consumer is back-pressure, not a slow server).
  std::chrono::milliseconds total_timeout{60000};
  std::size_t max_response_bytes = 64 << 20;  // body bytes; more is an error
};

struct HttpClientResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;  // stream(): only for non-2xx answers (the API's error message)

  bool ok() const { return status >= 200 && status < 300; }
  // First header with this name (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

// Receives body bytes of a 2xx response on the caller's executor as they arrive;
// returning false stops reading (the connection is then dropped).
using HttpBodyHandler = std::function<boost::asio::awaitable<bool>(std::string_view)>;

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions opts = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends the request and reads the whole body. The HTTP status is returned, never
  // thrown. Throws std::runtime_error for bad URLs, network and TLS errors, timeouts
  // ("... timed out after N ms") and bodies above the limit;
  // boost::system::system_error(operation_aborted) when cancelled.
  boost::asio::awaitable<HttpClientResponse> request(HttpClientRequest req);

  // Sends the request and hands a 2xx body to on_body piece by piece as it arrives;
  // returns status and headers when the body ended. Non-2xx bodies are not streamed
  // but returned in the response (up to 64 KiB). Errors as for request().
  boost::asio::awaitable<HttpClientResponse> stream(HttpClientRequest req, HttpBodyHandler on_body);

  // For tests and metrics.
  std::size_t connections_opened() const;
  std::size_t idle_connections() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace xz::net
