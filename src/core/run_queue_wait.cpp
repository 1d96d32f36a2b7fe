#include "core/run_queue_wait.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <string_view>
#include <utility>

namespace xz::core {

std::optional<RunQueueWait> RunQueueWait::of_this_thread() {
  int fd = ::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  RunQueueWait w(fd);
  if (!w.total()) return std::nullopt;
  return w;
}

RunQueueWait::RunQueueWait(RunQueueWait&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

RunQueueWait& RunQueueWait::operator=(RunQueueWait&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

RunQueueWait::~RunQueueWait() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<std::chrono::nanoseconds> RunQueueWait::total() const {
  // "<ns on cpu> <ns waiting on a run queue> <timeslices>\n"
  std::array<char, 96> buf{};
  ssize_t n = ::pread(fd_, buf.data(), buf.size(), 0);
  if (n <= 0) return std::nullopt;
  std::string_view text(buf.data(), static_cast<std::size_t>(n));
  auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  text.remove_prefix(space + 1);
  long long waited = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), waited);
  if (ec != std::errc{} || end == text.data()) return std::nullopt;
  return std::chrono::nanoseconds(waited);
}

}  // namespace xz::core
