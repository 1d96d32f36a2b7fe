#include "providers/tts/vendor_socket.h"

#include <stdexcept>

#include <boost/asio/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>
#include <fmt/format.h>

#include "core/async.h"

namespace xz::providers {

namespace asio = boost::asio;

asio::awaitable<std::shared_ptr<net::WebSocket>> connect_vendor(std::string url, net::WsClientOptions opts,
                                                                std::chrono::milliseconds timeout) {
  auto ws = co_await core::with_timeout(net::ws_connect(std::move(url), std::move(opts)), timeout);
  if (!ws) throw std::runtime_error(fmt::format("connecting timed out after {} ms", timeout.count()));
  co_return std::move(*ws);
}

asio::awaitable<net::WsMessage> next_vendor_message(net::WebSocket& ws, std::chrono::milliseconds stall) {
  auto got = co_await core::with_timeout(ws.read(), stall);
  if (!got) throw std::runtime_error(fmt::format("no answer for {} ms", stall.count()));
  if (!*got) {
    auto cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() != asio::cancellation_type::none)
      throw boost::system::system_error(asio::error::operation_aborted);
    throw std::runtime_error(ws.last_read_error() == net::WsReadError::protocol
                                 ? "WebSocket protocol error before the answer ended"
                                 : "the connection closed before the answer ended");
  }
  if ((*got)->oversize) throw std::runtime_error(fmt::format("a message of {} bytes, over the limit", (*got)->size));
  co_return std::move(**got);
}

VendorConnection::~VendorConnection() {
  if (!ws_) return;
  if (done_)
    ws_->close();
  else
    ws_->abort();
}

}  // namespace xz::providers
