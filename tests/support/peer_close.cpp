#include "support/peer_close.h"

#include <cerrno>
#include <chrono>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace xz::test {

namespace asio = boost::asio;

asio::awaitable<void> wait_for_peer_close(asio::ip::tcp::socket& socket) {
  for (;;) {
    auto [ec] = co_await socket.async_wait(asio::ip::tcp::socket::wait_read, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    char byte = 0;
    const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) co_return;  // orderly close
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      co_return;  // reset
    }
    // The next request is already here, so the peer is alive: wait to be cancelled.
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer forever(executor, std::chrono::hours(24));
    co_await forever.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return;
  }
}

}  // namespace xz::test
