#pragma once
// The operator API from a test: waits for what a device's session offers.
#include <string>

#include <boost/asio/awaitable.hpp>

#include "support/test_server.h"

namespace xz::test {

// Polls GET /api/devices/online (every 20 ms, up to 5 s) until the session of `device_id`
// offers the LLM a tool named `tool` (server MCP servers connect in the background, and
// nothing on the device's wire marks that moment). False on timeout.
boost::asio::awaitable<bool> wait_until_offered(const TestServer& server, std::string admin_token,
                                                std::string device_id, std::string tool);

}  // namespace xz::test
