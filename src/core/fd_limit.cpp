#include "core/fd_limit.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

namespace xz::core {

namespace {

std::uint64_t count_open_fds() {
  std::error_code ec;
  std::uint64_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++n;
  return n > 0 ? n - 1 : 0;  // the iterator's own descriptor
}

// The kernel's per-process ceiling, used when the hard limit is "unlimited".
std::uint64_t nr_open() {
  std::ifstream in("/proc/sys/fs/nr_open");
  std::uint64_t v = 0;
  if (in >> v && v > 0) return v;
  return 1024 * 1024;
}

}  // namespace

FdLimit raise_fd_limit() {
  FdLimit out;
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    out.error = fmt::format("getrlimit(RLIMIT_NOFILE) failed: {}", std::strerror(errno));
    out.open = count_open_fds();
    return out;
  }
  out.soft_before = out.soft = rl.rlim_cur;
  out.hard = rl.rlim_max == RLIM_INFINITY ? nr_open() : rl.rlim_max;
  if (rl.rlim_cur == RLIM_INFINITY) out.soft_before = out.soft = out.hard;
  if (out.soft < out.hard) {
    rlimit wanted = rl;
    wanted.rlim_cur = out.hard;
    if (setrlimit(RLIMIT_NOFILE, &wanted) == 0) {
      out.soft = out.hard;
    } else {
      out.error = fmt::format("setrlimit(RLIMIT_NOFILE, {}) failed: {}", out.hard, std::strerror(errno));
    }
  }
  out.open = count_open_fds();
  return out;
}

FdLimit current_fd_limit() {
  FdLimit out;
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    out.error = fmt::format("getrlimit(RLIMIT_NOFILE) failed: {}", std::strerror(errno));
  } else {
    out.hard = rl.rlim_max == RLIM_INFINITY ? nr_open() : rl.rlim_max;
    out.soft_before = out.soft = rl.rlim_cur == RLIM_INFINITY ? out.hard : rl.rlim_cur;
  }
  out.open = count_open_fds();
  return out;
}

std::uint64_t connection_capacity(const FdLimit& limit, std::uint64_t reserve) {
  const std::uint64_t used = limit.open + reserve;
  return limit.soft > used ? limit.soft - used : 0;
}

std::string describe(const FdLimit& limit) {
  std::string head = limit.soft_before == limit.soft
                         ? fmt::format("file descriptors: soft limit {} (hard {})", limit.soft, limit.hard)
                         : fmt::format("file descriptors: soft limit {} -> {} (hard {})", limit.soft_before,
                                       limit.soft, limit.hard);
  std::string tail = fmt::format("{} open: room for about {} device connections", limit.open,
                                 connection_capacity(limit));
  if (!limit.error.empty()) return head + ", " + tail + " (" + limit.error + ")";
  return head + ", " + tail;
}

}  // namespace xz::core
