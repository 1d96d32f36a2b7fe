#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace xz::test {

// Completes when the peer closes `socket`, or when cancelled. Never consumes bytes: a
// keep-alive client may already have sent its next request, which the fake's read loop
// must still find (reading it here lost it and hung the client until its timeout).
boost::asio::awaitable<void> wait_for_peer_close(boost::asio::ip::tcp::socket& socket);

}  // namespace xz::test
