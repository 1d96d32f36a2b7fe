#include "tools/mcp/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "tools/mcp/mcp_transport.h"

extern char** environ;

namespace xz::tools::mcp {

namespace asio = boost::asio;

namespace {

// Closes a file descriptor unless released.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

struct SpawnAttrs {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  SpawnAttrs() {
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
  }
  ~SpawnAttrs() {
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
  }
  SpawnAttrs(const SpawnAttrs&) = delete;
  SpawnAttrs& operator=(const SpawnAttrs&) = delete;
};

[[noreturn]] void fail(const ChildSpec& spec, const char* what, int err) {
  throw McpError(fmt::format("cannot run '{}': {}: {}", spec.command, what, std::strerror(err)));
}

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string_view::npos && overrides.count(std::string(entry.substr(0, eq)))) continue;
    env.emplace_back(entry);
  }
  for (const auto& [k, v] : overrides) env.push_back(k + "=" + v);
  return env;
}

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

}  // namespace

ChildProcess::ChildProcess(asio::any_io_executor ex, const ChildSpec& spec)
    : in_(ex), out_(ex), err_(ex), exit_fd_(ex) {
  if (spec.command.empty()) throw McpError("cannot run an MCP server: empty command");
  int in_pair[2], out_pipe[2], err_pipe[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0) fail(spec, "socketpair", errno);
  Fd in_ours(in_pair[0]), in_child(in_pair[1]);
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) fail(spec, "pipe", errno);
  Fd out_ours(out_pipe[0]), out_child(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) fail(spec, "pipe", errno);
  Fd err_ours(err_pipe[0]), err_child(err_pipe[1]);

  SpawnAttrs a;
  posix_spawn_file_actions_adddup2(&a.fa, in_child.fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&a.fa, out_child.fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&a.fa, err_child.fd, STDERR_FILENO);
  // Sockets of the server (listeners included) must not leak into the child.
  posix_spawn_file_actions_addclosefrom_np(&a.fa, 3);
  // We may block or ignore signals (SIGPIPE); the child must not inherit that.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&a.attr, &none);
  posix_spawnattr_setsigdefault(&a.attr, &defaults);
  posix_spawnattr_setpgroup(&a.attr, 0);
  posix_spawnattr_setflags(&a.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<std::string> argv_s;
  argv_s.push_back(spec.command);
  argv_s.insert(argv_s.end(), spec.args.begin(), spec.args.end());
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s = merged_environment(spec.env);
  std::vector<char*> envp;
  for (auto& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, spec.command.c_str(), &a.fa, &a.attr, argv.data(), envp.data());
  if (rc != 0) fail(spec, "posix_spawnp", rc);
  pid_ = pid;

  boost::system::error_code ec;
  in_.assign(asio::local::stream_protocol(), in_ours.release(), ec);
  out_.assign(out_ours.release(), ec);
  err_.assign(err_ours.release(), ec);
  int pidfd = open_pidfd(pid_);
  if (pidfd >= 0) {
    ::fcntl(pidfd, F_SETFD, FD_CLOEXEC);
    exit_fd_.assign(pidfd, ec);
  }
}

ChildProcess::~ChildProcess() {
  boost::system::error_code ignored;
  in_.close(ignored);
  out_.close(ignored);
  err_.close(ignored);
  exit_fd_.close(ignored);
  if (pid_ <= 0 || status_) return;
  // Not reaped, so neither the pid nor the group id can have been reused.
  ::kill(-pid_, SIGKILL);
  if (try_reap()) return;
  // SIGKILL takes effect promptly, but not synchronously: reap where waiting is harmless.
  std::thread([pid = pid_] {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }).detach();
}

bool ChildProcess::try_reap() {
  if (status_) return true;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = status;
    // Helpers it started must not outlive it; right after the reap, its group id cannot
    // belong to anyone else yet.
    ::kill(-pid_, SIGKILL);
    return true;
  }
  if (r < 0 && errno == ECHILD) {  // reaped by someone else (a waitpid(-1) elsewhere)
    status_ = 0;
    return true;
  }
  return false;
}

core::Task<int> ChildProcess::wait_exit() {
  while (!try_reap()) {
    if (exit_fd_.is_open()) {
      auto [ec] = co_await exit_fd_.async_wait(asio::posix::descriptor_base::wait_read,
                                               asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted) throw boost::system::system_error(ec);
    } else {
      co_await core::sleep_for(std::chrono::milliseconds(50));
    }
  }
  co_return *status_;
}

void ChildProcess::signal(int sig) {
  if (pid_ > 0 && !status_) ::kill(-pid_, sig);
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exit status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("signal {}", WTERMSIG(status));
  return fmt::format("wait status {}", status);
}

}  // namespace xz::tools::mcp
