#pragma once
// A child process with its standard streams connected to us: the stdio MCP server.
// It runs in its own process group, so terminating it also reaches what it started
// (npx -> node). Its exit is awaited without blocking a loop (a pidfd, or polling with
// WNOHANG where pidfds are missing).
#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "core/async.h"

namespace xz::tools::mcp {

struct ChildSpec {
  std::string command;  // looked up in PATH
  std::vector<std::string> args;
  std::map<std::string, std::string> env;  // set over our own environment
};

class ChildProcess {
 public:
  // Starts the child. Throws McpError naming the command when it cannot be started.
  ChildProcess(boost::asio::any_io_executor ex, const ChildSpec& spec);
  // A child still running is killed (SIGKILL to its group) and reaped off the loop.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Its stdin is a socket, not a pipe: our writes use MSG_NOSIGNAL, so a child that died
  // gives EPIPE instead of a SIGPIPE that would kill the server.
  boost::asio::local::stream_protocol::socket& in() { return in_; }
  boost::asio::posix::stream_descriptor& out() { return out_; }
  boost::asio::posix::stream_descriptor& err() { return err_; }

  // Waits until the child exits, reaps it and returns its wait status. One waiter at a
  // time; honours cancellation (the child is then still ours to reap).
  core::Task<int> wait_exit();
  // The wait status once reaped.
  std::optional<int> status() const { return status_; }
  // Sends `sig` to the child's process group.
  void signal(int sig);

 private:
  bool try_reap();

  pid_t pid_ = -1;
  std::optional<int> status_;
  boost::asio::local::stream_protocol::socket in_;
  boost::asio::posix::stream_descriptor out_;
  boost::asio::posix::stream_descriptor err_;
  boost::asio::posix::stream_descriptor exit_fd_;  // a pidfd; not open when unsupported
};

// "exit status 3", "signal 9".
std::string describe_wait_status(int status);

}  // namespace xz::tools::mcp
