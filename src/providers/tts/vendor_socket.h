#pragma once
// A TTS vendor's WebSocket, as the engines that speak over one use it: connecting within
// a deadline, the next message within a stall timeout, and the connection ended however
// the request ends. Failures are std::runtime_error saying what happened; cancellation
// is boost::system::system_error(operation_aborted).
#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "net/websocket.h"

namespace xz::providers {

// ws_connect within `timeout` (net::WsHandshakeError passes through: a vendor may say
// something with its status).
boost::asio::awaitable<std::shared_ptr<net::WebSocket>> connect_vendor(std::string url, net::WsClientOptions opts,
                                                                       std::chrono::milliseconds timeout);

// The next whole message, waiting at most `stall`. Throws when nothing came in time, the
// connection ended, or the message was over the size limit.
boost::asio::awaitable<net::WsMessage> next_vendor_message(net::WebSocket& ws, std::chrono::milliseconds stall);

// Ends the connection when the request ends: a clean close after a finished exchange
// (mark_done), else at once.
class VendorConnection {
 public:
  explicit VendorConnection(std::shared_ptr<net::WebSocket> ws) : ws_(std::move(ws)) {}
  ~VendorConnection();
  VendorConnection(const VendorConnection&) = delete;
  VendorConnection& operator=(const VendorConnection&) = delete;

  net::WebSocket& operator*() const { return *ws_; }
  net::WebSocket* operator->() const { return ws_.get(); }
  void mark_done() { done_ = true; }

 private:
  std::shared_ptr<net::WebSocket> ws_;
  bool done_ = false;
};

}  // namespace xz::providers
