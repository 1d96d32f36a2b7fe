#pragma once
// Private to net/: how the HTTP server and ws_connect hand over a socket whose opening
// handshake is done.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "net/websocket.h"

namespace xz::net {

enum class WsRole { server, client };

struct WsAdoptOptions {
  WsRole role = WsRole::server;
  // Bytes read past the handshake: the first frames, when the peer sent them at once.
  std::string already_read;
  std::string remote_ip;
  std::size_t max_message_bytes = 65536;
  std::size_t max_queued_bytes = 4 * 1024 * 1024;
  // From close() to the end of the connection at most, queued frames included.
  std::chrono::milliseconds close_flush_timeout{10000};
  // The listener's connection-cap slot: released when the socket closes.
  std::shared_ptr<void> connection_slot;
};

std::shared_ptr<WebSocket> adopt_websocket(boost::asio::ip::tcp::socket socket, WsAdoptOptions opts);

}  // namespace xz::net
