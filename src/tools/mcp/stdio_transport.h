#pragma once
// MCP over stdio: the server is a child process (core::ChildProcess: its own process
// group, only its stdio descriptors, the allow-listed environment plus the configured
// `env`); messages are newline-delimited JSON on its stdin/stdout; its stderr lines go
// to our log. close() ends stdin, waits, then sends SIGTERM and finally SIGKILL to the
// group, and reaps the child.
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "core/async.h"
#include "core/child_process.h"
#include "tools/mcp/mcp_transport.h"

namespace xz::tools::mcp {

struct StdioTransportOptions {
  std::string name;  // the server's name, for logs and errors
  core::ChildSpec child;  // `inherit` gains TERM, as the MCP SDKs pass it
  std::size_t max_message_bytes = 4 * 1024 * 1024;  // a longer stdout line is skipped
  std::size_t max_queued_bytes = 8 * 1024 * 1024;   // unwritten stdin bytes
  std::chrono::milliseconds exit_grace{2000};       // per step of close()
};

class StdioTransport final : public McpTransport, public std::enable_shared_from_this<StdioTransport> {
 public:
  StdioTransport(boost::asio::any_io_executor ex, StdioTransportOptions opts);

  boost::asio::awaitable<void> open(McpTransportHandlers handlers) override;
  boost::asio::awaitable<void> send(nlohmann::json message) override;
  boost::asio::awaitable<void> close() override;
  std::string describe() const override;

  // The child's pid while it runs (tests, status pages).
  std::optional<int> pid() const;

 private:
  static core::Task<void> read_stdout(std::shared_ptr<StdioTransport> self);
  static core::Task<void> read_stderr(std::shared_ptr<StdioTransport> self);
  static core::Task<void> watch_exit(std::shared_ptr<StdioTransport> self);
  static core::Task<void> write_queue(std::shared_ptr<StdioTransport> self);
  static core::Task<void> stop_child(std::shared_ptr<StdioTransport> self);

  boost::asio::any_io_executor ex_;
  StdioTransportOptions opts_;
  McpTransportHandlers handlers_;
  std::unique_ptr<core::ChildProcess> child_;
  // Its stdin is a socket, not a pipe: our writes use MSG_NOSIGNAL, so a child that died
  // gives EPIPE instead of a SIGPIPE that would kill the server.
  boost::asio::local::stream_protocol::socket in_;
  boost::asio::posix::stream_descriptor out_;
  boost::asio::posix::stream_descriptor err_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  std::string write_error_;
  bool closing_ = false;   // close() was called: no more handler calls
  bool stopping_ = false;  // the child is being asked to exit
  core::Event exited_;     // the child was reaped
  core::Event stdout_done_;
};

}  // namespace xz::tools::mcp
