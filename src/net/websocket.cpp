#include "net/websocket.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "net/websocket_impl.h"

namespace xz::net {

namespace asio = boost::asio;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kKeptReadBufferBytes = 512;
// Beast prepares this much of the read buffer as soon as a read starts, so an idle
// connection holds it while it waits: an uplink audio packet fits, and longer messages
// take a few reads.
constexpr std::size_t kReadPieceBytes = 512;

asio::awaitable<void> write_loop(std::shared_ptr<WebSocket::Impl> s) {
  s->writing = true;
  while (!s->queue.empty() && !s->closed) {
    auto& out = s->queue.front();
    s->ws.binary(out.binary);
    auto [ec, n] = co_await s->ws.async_write(asio::buffer(out.data),
                                              asio::as_tuple(asio::use_awaitable));
    s->queued_bytes -= out.data.size();
    s->queue.pop_front();
    if (ec) {
      s->closed = true;
      break;
    }
  }
  if (s->close_requested && !s->closed) {
    websocket::close_reason cr(websocket::close_code::normal);
    cr.reason = s->close_reason.substr(0, 120);
    // Do not wait forever for the peer's close frame.
    s->ws.set_option(websocket::stream_base::timeout{std::chrono::seconds(2), websocket::stream_base::none(), false});
    co_await s->ws.async_close(cr, asio::as_tuple(asio::use_awaitable));
    s->closed = true;
    beast::error_code ignored;
    beast::get_lowest_layer(s->ws).close(ignored);
  }
  if (s->closed) {
    s->queue.clear();
    s->queued_bytes = 0;
  }
  s->queue.shrink_to_fit();  // drained: an idle connection holds no queue block
  s->writing = false;
  s->flushed.cancel();
}

void start_writer(const std::shared_ptr<WebSocket::Impl>& s) {
  if (s->writing) return;
  s->writing = true;  // set before the coroutine runs so a second send does not spawn twice
  asio::co_spawn(s->ws.get_executor(), write_loop(s), asio::detached);
}

}  // namespace

WebSocket::WebSocket(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebSocket::~WebSocket() {
  if (impl_ && !impl_->closed && !impl_->writing) {
    beast::error_code ec;
    beast::get_lowest_layer(impl_->ws).close(ec);
  }
}

asio::any_io_executor WebSocket::executor() const { return impl_->ws.get_executor(); }
std::string WebSocket::remote_ip() const { return impl_->remote_ip; }
WsReadError WebSocket::last_read_error() const { return impl_->read_error; }
bool WebSocket::is_open() const { return !impl_->closed && !impl_->close_requested; }
std::size_t WebSocket::queued_bytes() const { return impl_->queued_bytes; }

void WebSocket::set_max_message_bytes(std::size_t n) { impl_->max_message_bytes = n; }

namespace {
WsReadError classify(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return WsReadError::timeout;
  if (ec == websocket::error::closed || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
      ec == asio::error::bad_descriptor || ec == asio::error::broken_pipe)
    return WsReadError::closed;
  return WsReadError::protocol;
}
}  // namespace

asio::awaitable<std::optional<WsMessage>> WebSocket::read() {
  auto s = impl_;
  if (s->closed) {
    if (s->read_error == WsReadError::none) s->read_error = WsReadError::closed;
    co_return std::nullopt;
  }
  // Read frame pieces ourselves so an oversize message can be skipped instead of
  // failing the stream (Beast's read_message_max would end the connection).
  s->read_buf.clear();
  WsMessage m;
  std::size_t total = 0;
  for (;;) {
    auto [ec, n] = co_await s->ws.async_read_some(s->read_buf, kReadPieceBytes, asio::as_tuple(asio::use_awaitable));
    if (ec) {
      s->read_error = classify(ec);
      s->closed = true;
      if (!s->writing) {
        beast::error_code ignored;
        beast::get_lowest_layer(s->ws).close(ignored);
      }
      co_return std::nullopt;
    }
    total += n;
    if (total > s->max_message_bytes) {
      m.oversize = true;
      s->read_buf.clear();  // discard; keep reading to the end of the message
    }
    if (s->ws.is_message_done()) break;
  }
  m.binary = s->ws.got_binary();
  m.size = total;
  if (!m.oversize) m.data = beast::buffers_to_string(s->read_buf.data());
  s->read_buf.clear();
  // The buffer keeps the size of the largest message so far; after a big one (an MCP
  // tool list) give it back: thousands of idle connections would each hold it.
  if (s->read_buf.capacity() > kKeptReadBufferBytes) s->read_buf.shrink_to_fit();
  co_return m;
}

namespace {
bool enqueue(const std::shared_ptr<WebSocket::Impl>& s, bool binary, std::string data) {
  if (s->closed || s->close_requested) return false;
  if (s->queued_bytes + data.size() > s->max_queued_bytes) {
    spdlog::warn("websocket {}: peer is not reading ({} bytes queued); closing", s->remote_ip,
                 s->queued_bytes);
    s->closed = true;
    beast::error_code ignored;
    beast::get_lowest_layer(s->ws).close(ignored);
    return false;
  }
  s->queued_bytes += data.size();
  s->queue.push_back({binary, std::move(data)});
  start_writer(s);
  return true;
}
}  // namespace

bool WebSocket::send_text(std::string text) { return enqueue(impl_, false, std::move(text)); }
bool WebSocket::send_binary(std::string bytes) { return enqueue(impl_, true, std::move(bytes)); }

asio::awaitable<void> WebSocket::flush() {
  auto s = impl_;
  while (s->writing && !s->closed) {
    s->flushed.expires_at(std::chrono::steady_clock::time_point::max());
    co_await s->flushed.async_wait(asio::as_tuple(asio::use_awaitable));
    auto cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() != asio::cancellation_type::none) co_return;
  }
}

void WebSocket::close(std::string reason) {
  auto s = impl_;
  if (s->closed || s->close_requested) return;
  s->close_requested = true;
  s->close_reason = std::move(reason);
  start_writer(s);
}

void WebSocket::abort() {
  auto s = impl_;
  s->closed = true;
  beast::error_code ignored;
  beast::get_lowest_layer(s->ws).close(ignored);
}

asio::awaitable<std::shared_ptr<WebSocket>> ws_connect(std::string url, WsClientOptions opts) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) throw std::runtime_error("invalid WebSocket URL: " + url);
  if (parsed->scheme() != "ws") throw std::runtime_error("only ws:// URLs are supported: " + url);
  std::string host = parsed->host();
  std::string port = parsed->has_port() ? std::string(parsed->port()) : "80";
  std::string target = std::string(parsed->encoded_path());
  if (target.empty()) target = "/";
  if (parsed->has_query()) target += "?" + std::string(parsed->encoded_query());

  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto results = co_await resolver.async_resolve(host, port, asio::use_awaitable);
  beast::tcp_stream connecting(ex);
  connecting.expires_after(std::chrono::seconds(10));
  co_await connecting.async_connect(results, asio::use_awaitable);
  connecting.socket().set_option(tcp::no_delay(true));
  connecting.expires_never();
  websocket::stream<tcp::socket> ws(connecting.release_socket());
  ws.set_option(websocket::stream_base::timeout{std::chrono::seconds(10), websocket::stream_base::none(), false});
  ws.read_message_max(0);  // enforced by read(), which skips oversize messages
  ws.set_option(websocket::stream_base::decorator([headers = opts.headers](websocket::request_type& req) {
    for (const auto& [k, v] : headers) req.set(k, v);
  }));
  co_await ws.async_handshake(host, target, asio::use_awaitable);
  auto impl = std::make_unique<WebSocket::Impl>(std::move(ws), opts.max_queued_bytes);
  impl->max_message_bytes = opts.max_message_bytes;
  beast::error_code ec;
  auto ep = beast::get_lowest_layer(impl->ws).remote_endpoint(ec);
  if (!ec) impl->remote_ip = ep.address().to_string();
  co_return std::make_shared<WebSocket>(std::move(impl));
}

}  // namespace xz::net
