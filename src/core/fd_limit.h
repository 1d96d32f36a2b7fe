#pragma once
// The process's open-file limit. Every device connection holds a descriptor, and the
// default soft limit (often 1024) is far below what the hard limit allows, so servers
// and the load generator raise it at start-up.
#include <cstdint>
#include <string>

namespace xz::core {

struct FdLimit {
  std::uint64_t soft_before = 0;  // soft RLIMIT_NOFILE found at start
  std::uint64_t soft = 0;         // soft limit now
  std::uint64_t hard = 0;         // hard limit (the ceiling for an unprivileged raise)
  std::uint64_t open = 0;         // descriptors open when measured
  std::string error;              // why the raise failed ("" = it did not)
};

// Raises the soft limit to the hard limit (to fs.nr_open when the hard limit is
// unlimited) and reports the numbers. Never throws: a failure is described in `error`
// and leaves the limit as it was.
FdLimit raise_fd_limit();
// The numbers as they are now, without raising anything.
FdLimit current_fd_limit();

// Connections that still fit: the soft limit minus the descriptors open now and a
// reserve for logs, the database, listeners and provider connections.
std::uint64_t connection_capacity(const FdLimit& limit, std::uint64_t reserve = 64);

// "file descriptors: soft limit 1024 -> 20000 (hard 20000), 12 open: room for about
// 19924 device connections" (or the reason the raise failed).
std::string describe(const FdLimit& limit);

}  // namespace xz::core
