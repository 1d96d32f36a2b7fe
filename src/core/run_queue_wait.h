#pragma once
// How long one thread has waited for a CPU while runnable (Linux schedstat, field 2).
// Splits an event loop's lateness into what the machine caused (other threads or
// processes held the cores) and what the loop's own work caused.
#include <chrono>
#include <optional>

namespace xz::core {

class RunQueueWait {
 public:
  // For the calling thread; nullopt where the kernel does not report it.
  static std::optional<RunQueueWait> of_this_thread();

  RunQueueWait(RunQueueWait&& other) noexcept;
  RunQueueWait& operator=(RunQueueWait&& other) noexcept;
  RunQueueWait(const RunQueueWait&) = delete;
  RunQueueWait& operator=(const RunQueueWait&) = delete;
  ~RunQueueWait();

  // Total time waited since the thread started; nullopt if the read fails.
  std::optional<std::chrono::nanoseconds> total() const;

 private:
  explicit RunQueueWait(int fd) : fd_(fd) {}
  int fd_;  // /proc/thread-self/schedstat, opened by (and so bound to) the measured thread
};

}  // namespace xz::core
