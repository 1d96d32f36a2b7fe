#include "core/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <system_error>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "core/unique_fd.h"

extern char** environ;

namespace xz::core {

namespace {

constexpr std::array<std::string_view, 9> kAllowedNames{"PATH", "HOME",     "USER", "LOGNAME", "SHELL",
                                                         "LANG", "LANGUAGE", "TZ",   "TMPDIR"};

bool allowed(std::string_view name, const std::vector<std::string>& inherit) {
  if (name.starts_with("LC_")) return true;
  for (auto n : kAllowedNames)
    if (name == n) return true;
  for (const auto& n : inherit)
    if (name == n) return true;
  return false;
}

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
  throw ChildSpawnError(fmt::format("cannot run '{}': {}: {}", spec.command, what, std::strerror(err)));
}

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // close-on-exec by definition
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

}  // namespace

std::vector<std::string> child_environment(const ChildSpec& spec) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = entry.substr(0, eq);
    if (spec.env.count(std::string(name)) || !allowed(name, spec.inherit)) continue;
    env.emplace_back(entry);
  }
  for (const auto& [k, v] : spec.env) env.push_back(k + "=" + v);
  return env;
}

ChildProcess::ChildProcess(boost::asio::any_io_executor ex, const ChildSpec& spec, ChildStdio stdio)
    : exit_fd_(std::move(ex)) {
  if (spec.command.empty()) throw ChildSpawnError("cannot run a program: empty command");
  // dup2 onto 0-2 must not overwrite a source that is itself 0-2 (a server started with
  // its own stdio closed gets such numbers from pipe2): lift those above 2 first.
  std::array<int, 3> from{stdio.in, stdio.out, stdio.err};
  std::array<UniqueFd, 3> lifted;
  for (std::size_t i = 0; i < from.size(); ++i) {
    if (from[i] < 0 || from[i] > 2) continue;
    lifted[i].reset(::fcntl(from[i], F_DUPFD_CLOEXEC, 3));
    if (!lifted[i]) fail(spec, "fcntl", errno);
    from[i] = lifted[i].get();
  }

  SpawnAttrs a;
  for (int target = 0; target < 3; ++target) {
    const int fd = from[static_cast<std::size_t>(target)];
    if (fd >= 0) {
      posix_spawn_file_actions_adddup2(&a.fa, fd, target);
    } else {
      posix_spawn_file_actions_addopen(&a.fa, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0);
    }
  }
  // Everything else we hold (device sockets, listeners, model files) stays ours; glibc
  // does this with one close_range call, however many descriptors are open.
  posix_spawn_file_actions_addclosefrom_np(&a.fa, 3);
  // We may block or ignore signals (SIGPIPE); the child must not inherit that.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM}) sigaddset(&defaults, s);
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
  std::vector<std::string> env_s = child_environment(spec);
  std::vector<char*> envp;
  for (auto& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, spec.command.c_str(), &a.fa, &a.attr, argv.data(), envp.data());
  if (rc != 0) fail(spec, "posix_spawnp", rc);
  pid_ = pid;

  const int pidfd = open_pidfd(pid_);
  if (pidfd >= 0) {
    boost::system::error_code ec;
    exit_fd_.assign(pidfd, ec);
    if (ec) ::close(pidfd);  // then wait_exit() polls
  }
}

ChildProcess::~ChildProcess() {
  boost::system::error_code ignored;
  exit_fd_.close(ignored);
  if (pid_ <= 0 || status_) return;
  // Not reaped, so neither the pid nor the group id can have been reused.
  ::kill(-pid_, SIGKILL);
  if (try_reap()) return;
  // SIGKILL takes effect promptly but not synchronously: reap where blocking is harmless.
  try {
    std::thread([pid = pid_] {
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }).detach();
  } catch (const std::system_error&) {
    // No thread to be had: the zombie stays until the server exits.
  }
}

bool ChildProcess::exited() {
  if (!exit_fd_.is_open()) return false;
  pollfd p{exit_fd_.native_handle(), POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

bool ChildProcess::try_reap() {
  if (status_) return true;
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno == ECHILD) {  // reaped by someone else (SIGCHLD ignored, a waitpid(-1) elsewhere)
      status_ = 0;
      return true;
    }
    return false;
  }
  if (info.si_pid == 0) return false;
  // Still a zombie, so its group id is still ours: end whatever it left running.
  ::kill(-pid_, SIGKILL);
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
  status_ = status;
  return true;
}

Task<int> ChildProcess::wait_exit() {
  namespace asio = boost::asio;
  while (!try_reap()) {
    if (!exit_fd_.is_open()) {
      co_await sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    auto initiate = [this](auto handler) {
      exit_fd_.async_wait(asio::posix::descriptor_base::wait_read, std::move(handler));
      // asio watches descriptors edge-triggered: an exit just before the wait was
      // queued would never be reported, so look again now that it is queued.
      if (exited()) exit_fd_.cancel();
    };
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [ec] = co_await asio::async_initiate<decltype(token), void(boost::system::error_code)>(initiate, token);
    if (ec == asio::error::operation_aborted && !exited()) throw boost::system::system_error(ec);
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

}  // namespace xz::core
