#pragma once
// One WebSocket connection (server or client side), used only on its own executor.
// Sends are queued and written in order by one writer coroutine, so any stage of a
// session can send without waiting; the queue is bounded (control frames count too,
// and at most one pong waits: a newer ping replaces it), and a peer that stops
// reading is disconnected instead of growing memory. Text messages are not checked for
// UTF-8 here: the JSON parser rejects a bad one, which costs that message, not the
// connection.
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "net/http_types.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace xz::net {

struct WsMessage {
  bool binary = false;
  std::string data;
  // The message was larger than the limit: its bytes were read and discarded, `data`
  // is empty and `size` says how big it was. The connection stays usable.
  bool oversize = false;
  std::size_t size = 0;
};

enum class WsReadError { none, closed, protocol, timeout };

class WebSocket {
 public:
  struct Impl;
  explicit WebSocket(std::shared_ptr<Impl> impl);
  ~WebSocket();
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;

  boost::asio::any_io_executor executor() const;
  std::string remote_ip() const;

  // The next message; std::nullopt when the connection ended (see last_read_error()).
  // A message above `max_message_bytes` is skipped (see WsMessage::oversize) so one bad
  // message never costs the session.
  boost::asio::awaitable<std::optional<WsMessage>> read();
  void set_max_message_bytes(std::size_t n);
  WsReadError last_read_error() const;

  // Queue a message. False when the connection is closing or the queue is full
  // (then the connection is closed: the peer is not reading).
  bool send_text(std::string text);
  bool send_binary(std::string bytes);
  // Bytes of the frames queued but not yet written (headers and control frames too).
  std::size_t queued_bytes() const;

  // Sends a close frame after the queued messages, then closes the socket.
  void close(std::string reason = {});
  // Closes the socket now, dropping queued messages.
  void abort();
  bool is_open() const;

 private:
  std::shared_ptr<Impl> impl_;
};

// Called once per accepted upgrade, on the connection's loop. The request carries the
// headers and query of the upgrade GET (identity, protocol version, ...).
using WebSocketHandler = std::function<void(std::shared_ptr<WebSocket>, HttpRequest)>;

struct WsClientOptions {
  std::map<std::string, std::string> headers;
  // wss://: whom to trust (make_tls_client_context). Share one: making it reads the CA
  // bundle, about 25 ms. Null = a new one with the system CAs, made on the calling loop.
  std::shared_ptr<boost::asio::ssl::context> tls_context;
  std::size_t max_message_bytes = 1024 * 1024;
  std::size_t max_queued_bytes = 4 * 1024 * 1024;
};

// ws_connect's error when the server answered the upgrade but did not complete it: a
// client can act on the status and headers (a 403 with the server's Date, a 401).
struct WsHandshakeError : std::runtime_error {
  WsHandshakeError(const std::string& what, int status, std::map<std::string, std::string> headers,
                   std::string body = {})
      : std::runtime_error(what), status(status), headers(std::move(headers)), body(std::move(body)) {}
  int status;
  std::map<std::string, std::string> headers;  // lower-case names
  // The start of a refusal's body (vendors explain a 401/403 there), at most
  // kMaxRefusalBodyBytes; empty when there was none or it could not be read in time.
  std::string body;
};
inline constexpr std::size_t kMaxRefusalBodyBytes = 2048;

// Connects to ws://host:port/path or wss:// (TLS, the certificate checked against the
// host name). Throws on failure; messages never show the URL's query (it may hold a token).
// No default for opts, and pass a named object: g++ 12 mis-copied a `{}` argument of this
// coroutine awaited inside another one (its strings still pointed into the caller's frame).
boost::asio::awaitable<std::shared_ptr<WebSocket>> ws_connect(std::string url, WsClientOptions opts);

}  // namespace xz::net
