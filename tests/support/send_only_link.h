#pragma once
// A base for test links that only record what the pipeline sends: the device never
// says anything (receive() ends at once), and there is no transport to speak of.
#include <string>

#include "session/device_link.h"

namespace xz::test {

class SendOnlyLink : public session::DeviceLink {
 public:
  boost::asio::awaitable<session::DeviceInput> receive() override { co_return session::DeviceInput{}; }
  void on_hello(const protocol::HelloMsg&, protocol::ServerHello& reply) override { reply.transport = transport(); }
  void close(std::string) override {}
  void abort() override {}
  std::string transport() const override { return "test"; }
  std::string remote_address() const override { return "127.0.0.1"; }
  boost::asio::any_io_executor executor() const override { return {}; }
  std::size_t queued_bytes() const override { return 0; }
};

}  // namespace xz::test
