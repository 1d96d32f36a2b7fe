#pragma once
// Logging: one process-wide spdlog logger (console + rotating file), written by a
// background thread so event loops never wait on the disk. SessionLog prefixes every
// line with the device and session ids so one conversation can be grepped end to end.
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace xz::core {

struct LogOptions {
  std::string level = "info";      // trace, debug, info, warn, error, critical, off
  std::string dir = "tmp";         // created if missing; empty = no file
  std::string file = "server.log";
  std::size_t max_file_bytes = 10 * 1024 * 1024;
  std::size_t max_files = 5;
  bool console = true;
};

// Replaces the default logger. Returns an error message, or "" on success.
std::string init_logging(const LogOptions& opts);
// Flushes and stops the background writer.
void shutdown_logging();
bool parse_log_level(std::string_view name, spdlog::level::level_enum& out);

class SessionLog {
 public:
  SessionLog() = default;
  SessionLog(std::string_view device_id, std::string_view session_id) {
    set_context(device_id, session_id);
  }
  void set_context(std::string_view device_id, std::string_view session_id) {
    prefix_ = "[dev=" + std::string(device_id.empty() ? "-" : device_id) +
              " sid=" + std::string(session_id.empty() ? "-" : session_id) + "] ";
  }
  const std::string& prefix() const { return prefix_; }

  template <class... A>
  void log(spdlog::level::level_enum lvl, fmt::format_string<A...> f, A&&... a) const {
    auto* l = spdlog::default_logger_raw();
    if (!l->should_log(lvl)) return;
    l->log(lvl, "{}{}", prefix_, fmt::format(f, std::forward<A>(a)...));
  }
  template <class... A> void trace(fmt::format_string<A...> f, A&&... a) const { log(spdlog::level::trace, f, std::forward<A>(a)...); }
  template <class... A> void debug(fmt::format_string<A...> f, A&&... a) const { log(spdlog::level::debug, f, std::forward<A>(a)...); }
  template <class... A> void info(fmt::format_string<A...> f, A&&... a) const { log(spdlog::level::info, f, std::forward<A>(a)...); }
  template <class... A> void warn(fmt::format_string<A...> f, A&&... a) const { log(spdlog::level::warn, f, std::forward<A>(a)...); }
  template <class... A> void error(fmt::format_string<A...> f, A&&... a) const { log(spdlog::level::err, f, std::forward<A>(a)...); }

 private:
  std::string prefix_ = "[dev=- sid=-] ";
};

}  // namespace xz::core
