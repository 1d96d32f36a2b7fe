#pragma once
// Private to net/: the Beast stream behind net::WebSocket.
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "core/lazy_deque.h"
#include "net/websocket.h"

namespace xz::net {

namespace beast = boost::beast;

struct WebSocket::Impl {
  Impl(beast::websocket::stream<boost::asio::ip::tcp::socket> s, std::size_t max_queued)
      : ws(std::move(s)),
        flushed(ws.get_executor(), std::chrono::steady_clock::time_point::max()),
        max_queued_bytes(max_queued) {}

  // Over the bare socket, not Beast's tcp_stream: its timers cost every idle connection
  // half a kilobyte; the WebSocket's own timeout option bounds handshakes and closes.
  beast::websocket::stream<boost::asio::ip::tcp::socket> ws;
  beast::flat_buffer read_buf;
  struct Out {
    bool binary;
    std::string data;
  };
  core::LazyDeque<Out> queue;
  std::size_t queued_bytes = 0;
  // Cancelled (woken) whenever the queue drains; flush() waits on it.
  boost::asio::steady_timer flushed;
  std::size_t max_queued_bytes;
  std::size_t max_message_bytes = 65536;
  bool writing = false;
  bool close_requested = false;
  std::string close_reason;
  bool closed = false;
  WsReadError read_error = WsReadError::none;
  std::string remote_ip;
};

}  // namespace xz::net
