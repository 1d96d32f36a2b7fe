// core::ChildProcess against real programs (sh, env, ls, sleep): what the child can see
// of the server, and that stopping it stops what it started.
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/child_process.h"
#include "core/fd_limit.h"
#include "core/runtime.h"
#include "core/unique_fd.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using xz::core::ChildProcess;
using xz::core::ChildSpec;
using xz::core::ChildStdio;
using xz::core::Task;
using xz::core::UniqueFd;

namespace {

ChildSpec spec_of(std::string command, std::vector<std::string> args) {
  ChildSpec s;
  s.command = std::move(command);
  s.args = std::move(args);
  return s;
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

std::string read_line(int fd) {
  std::string line;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
  return line;
}

// True once process `pid` (not necessarily ours) has ended, within `timeout`. A pidfd
// becomes readable when the process terminates, so this waits for the event itself.
bool ends_within(pid_t pid, std::chrono::milliseconds timeout) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;  // already gone
  UniqueFd owner(fd);
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

class ChildProcessTest : public ::testing::Test {
 protected:
  void SetUp() override { rt.start(); }

  asio::any_io_executor ex() { return rt.loop(0).get_executor(); }

  template <class T>
  T run(Task<T> task) {
    return asio::co_spawn(rt.loop(0), std::move(task), asio::use_future).get();
  }

  // Runs the child to its end with stdout captured; its output and wait status.
  std::pair<std::string, int> output_of(const ChildSpec& spec, ChildStdio stdio = {}) {
    auto out = xz::core::make_pipe();
    stdio.out = out.write.get();
    ChildProcess child(ex(), spec, stdio);
    out.write.reset();
    std::string text = read_all(out.read.get());
    int status = run(child.wait_exit());
    return {text, status};
  }

  xz::core::Runtime rt{1, 1};
};

// Sets an environment variable for one test.
struct ScopedEnv {
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  const char* name_;
};

}  // namespace

TEST_F(ChildProcessTest, ADescriptorOpenInTheParentIsNotVisibleInTheChild) {
  // No close-on-exec: only the spawn itself can keep it from the child.
  UniqueFd marker(::memfd_create("xz-leak-marker", 0));
  ASSERT_TRUE(marker);
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  UniqueFd a(pair[0]), b(pair[1]);

  auto [listing, status] = output_of(spec_of("ls", {"-l", "/proc/self/fd/"}));
  EXPECT_EQ(status, 0);
  EXPECT_EQ(listing.find("xz-leak-marker"), std::string::npos) << listing;
  EXPECT_EQ(listing.find("socket:"), std::string::npos) << listing;

  // The listing does show a descriptor the child is given (so the check above can fail).
  auto [with_stdin, status2] = output_of(spec_of("ls", {"-l", "/proc/self/fd/"}), ChildStdio{marker.get(), -1, -1});
  EXPECT_EQ(status2, 0);
  EXPECT_NE(with_stdin.find("0 -> /memfd:xz-leak-marker"), std::string::npos) << with_stdin;
}

TEST_F(ChildProcessTest, FifteenThousandOpenSocketsStayInTheParent) {
  auto limit = xz::core::raise_fd_limit();
  ASSERT_GE(limit.soft, 15'500u) << xz::core::describe(limit);
  std::vector<UniqueFd> sockets;
  sockets.reserve(15'000);
  while (sockets.size() < 15'000) {
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0) << std::strerror(errno);
    sockets.emplace_back(pair[0]);
    sockets.emplace_back(pair[1]);
  }
  const auto start = std::chrono::steady_clock::now();
  auto [listing, status] = output_of(spec_of("ls", {"-1", "/proc/self/fd/"}));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(status, 0);
  // ls sees 0, 1, 2 and its own directory descriptor.
  EXPECT_EQ(listing, "0\n1\n2\n3\n");
  std::printf("[ spawn + run with 15000 sockets open: %.1f ms ]\n",
              std::chrono::duration<double, std::milli>(took).count());
}

TEST_F(ChildProcessTest, SecretsInOurEnvironmentStayOutUnlessConfigured) {
  ScopedEnv key("OPENAI_API_KEY", "sk-test-not-for-children");
  ScopedEnv extra("XZ_CHILD_TEST_EXTRA", "wanted");
  ScopedEnv lc("LC_MESSAGES", "C");

  auto [env, status] = output_of(spec_of("env", {}));
  EXPECT_EQ(status, 0);
  EXPECT_EQ(env.find("OPENAI_API_KEY"), std::string::npos) << env;
  EXPECT_EQ(env.find("XZ_CHILD_TEST_EXTRA"), std::string::npos) << env;
  EXPECT_NE(env.find("PATH="), std::string::npos) << env;
  EXPECT_NE(env.find("LC_MESSAGES=C\n"), std::string::npos) << env;

  ChildSpec configured = spec_of("env", {});
  configured.env = {{"OPENAI_API_KEY", "sk-configured-for-this-child"}};
  configured.inherit = {"XZ_CHILD_TEST_EXTRA"};
  auto [env2, status2] = output_of(configured);
  EXPECT_EQ(status2, 0);
  EXPECT_NE(env2.find("OPENAI_API_KEY=sk-configured-for-this-child\n"), std::string::npos) << env2;
  EXPECT_EQ(env2.find("sk-test-not-for-children"), std::string::npos) << env2;
  EXPECT_NE(env2.find("XZ_CHILD_TEST_EXTRA=wanted\n"), std::string::npos) << env2;
}

TEST_F(ChildProcessTest, StoppingTheChildEndsItsOwnChildren) {
  auto out = xz::core::make_pipe();
  std::optional<ChildProcess> child;
  child.emplace(ex(), spec_of("sh", {"-c", "sleep 100 & echo $!; wait"}), ChildStdio{-1, out.write.get(), -1});
  out.write.reset();
  const pid_t grandchild = std::stoi(read_line(out.read.get()));
  ASSERT_GT(grandchild, 0);
  ASSERT_FALSE(ends_within(grandchild, 0ms));
  const pid_t pid = child->pid();
  child.reset();  // the stop a transport or engine does when it drops its child
  EXPECT_TRUE(ends_within(grandchild, 5000ms)) << "sleep (pid " << grandchild << ") outlived its parent's stop";
  EXPECT_TRUE(ends_within(pid, 5000ms));
}

TEST_F(ChildProcessTest, WhatAnExitedChildLeftRunningIsEndedWhenItIsReaped) {
  auto out = xz::core::make_pipe();
  ChildProcess child(ex(), spec_of("sh", {"-c", "sleep 100 >/dev/null & echo $!"}),
                     ChildStdio{-1, out.write.get(), -1});
  out.write.reset();
  const pid_t grandchild = std::stoi(read_line(out.read.get()));
  EXPECT_EQ(run(child.wait_exit()), 0);
  EXPECT_TRUE(ends_within(grandchild, 5000ms));
}

TEST_F(ChildProcessTest, WaitingLeavesTheLoopFreeAndASignalReachesTheGroup) {
  ChildProcess child(ex(), spec_of("sleep", {"100"}));
  auto status = asio::co_spawn(rt.loop(0), child.wait_exit(), asio::use_future);
  // A timer on the same loop still fires while the child runs.
  run([]() -> Task<int> {
    co_await xz::core::sleep_for(10ms);
    co_return 0;
  }());
  EXPECT_EQ(status.wait_for(0ms), std::future_status::timeout);
  asio::post(rt.loop(0), [&] { child.signal(SIGTERM); });
  ASSERT_EQ(status.wait_for(5s), std::future_status::ready);
  int s = status.get();
  EXPECT_TRUE(WIFSIGNALED(s) && WTERMSIG(s) == SIGTERM) << xz::core::describe_wait_status(s);
  EXPECT_EQ(child.status().value_or(-1), s);
}

TEST_F(ChildProcessTest, ACancelledWaitLeavesTheChildOurs) {
  std::optional<ChildProcess> child;
  child.emplace(ex(), spec_of("sleep", {"100"}));
  asio::cancellation_signal cancel;
  auto fut = asio::co_spawn(rt.loop(0), child->wait_exit(),
                            asio::bind_cancellation_slot(cancel.slot(), asio::use_future));
  run([]() -> Task<int> {  // the wait, started first on this loop, is now pending
    co_await xz::core::sleep_for(1ms);
    co_return 0;
  }());
  asio::post(rt.loop(0), [&] { cancel.emit(asio::cancellation_type::terminal); });
  EXPECT_THROW(fut.get(), boost::system::system_error);
  EXPECT_FALSE(child->status());
  const pid_t pid = child->pid();
  EXPECT_EQ(::kill(pid, 0), 0);  // still running (not reaped)
  run([&]() -> Task<int> {  // on its loop, and done before the test goes on
    child.reset();
    co_return 0;
  }());
  EXPECT_TRUE(ends_within(pid, 5000ms));
}

TEST_F(ChildProcessTest, AMissingProgramIsAClearError) {
  try {
    ChildProcess child(ex(), spec_of("/nonexistent/xz-no-such-program", {}));
    ADD_FAILURE() << "spawned a program that does not exist";
  } catch (const xz::core::ChildSpawnError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot run '/nonexistent/xz-no-such-program'"), std::string::npos)
        << e.what();
  }
}
