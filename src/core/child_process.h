#pragma once
// The one way the server starts a program (sox, espeak-ng, stdio MCP servers).
//
// The child gets only what it is meant to have:
// - descriptors: its stdin, stdout and stderr; every other one is closed in the child
//   (close_range), so device sockets and listeners never leak into it;
// - environment: an allow-list (PATH, HOME, USER, LOGNAME, SHELL, LANG, LANGUAGE, LC_*,
//   TZ, TMPDIR), the names the caller adds, and the values the configuration sets for
//   this child; nothing else of ours (API keys stay in the server);
// - signals: default dispositions and an empty mask;
// - its own process group: stopping the child also stops what it started (npx -> node).
// Its exit is awaited on a pidfd, so no event loop blocks and no thread waits.
#include <sys/types.h>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "core/async.h"

namespace xz::core {

struct ChildSpec {
  std::string command;  // looked up in PATH unless it contains a '/'
  std::vector<std::string> args;
  std::map<std::string, std::string> env;  // set for this child (configured values)
  std::vector<std::string> inherit;        // more names passed on from our environment
};

// The descriptors that become the child's stdin, stdout and stderr; -1 is /dev/null.
// They stay the caller's: the child gets copies.
struct ChildStdio {
  int in = -1;
  int out = -1;
  int err = -1;
};

// "cannot run '<command>': <reason>".
struct ChildSpawnError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ChildProcess {
 public:
  // Starts the child; `ex` is where wait_exit() is awaited. posix_spawn (vfork-like) is
  // cheap, but callers that can offload it do. Throws ChildSpawnError.
  ChildProcess(boost::asio::any_io_executor ex, const ChildSpec& spec, ChildStdio stdio = {});
  // A child still running is killed with its group (SIGKILL) and reaped off the loop.
  // Not while a wait_exit() is pending.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Waits until the child exits, reaps it and returns its wait status. Whatever is left
  // of its process group is killed then. One waiter at a time; cancellation is honoured
  // (the child is then still ours).
  Task<int> wait_exit();
  // The wait status once reaped.
  std::optional<int> status() const { return status_; }
  // Sends `sig` to the child's process group while the child is not reaped.
  void signal(int sig);

 private:
  bool try_reap();
  bool exited();  // the pidfd says so (level-triggered)

  pid_t pid_ = -1;
  std::optional<int> status_;
  boost::asio::posix::stream_descriptor exit_fd_;  // a pidfd; not open when unsupported
};

// The environment a child of `spec` gets, "NAME=value" each (what the constructor uses).
std::vector<std::string> child_environment(const ChildSpec& spec);

// "exit status 3", "signal 9".
std::string describe_wait_status(int status);

}  // namespace xz::core
