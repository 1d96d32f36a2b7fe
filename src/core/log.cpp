#include "core/log.h"

#include <filesystem>
#include <vector>

#include <spdlog/async.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace xz::core {

bool parse_log_level(std::string_view name, spdlog::level::level_enum& out) {
  std::string n(name);
  for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n == "warning") n = "warn";
  if (n == "error") n = "err";
  auto lvl = spdlog::level::from_str(n);
  // from_str answers "off" for anything it does not know.
  if (lvl == spdlog::level::off && n != "off") return false;
  out = lvl;
  return true;
}

std::string init_logging(const LogOptions& opts) {
  spdlog::level::level_enum lvl;
  if (!parse_log_level(opts.level, lvl)) return "unknown log level '" + opts.level + "'";

  std::vector<spdlog::sink_ptr> sinks;
  if (opts.console) sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!opts.dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(opts.dir, ec);
    if (ec) return "cannot create log directory '" + opts.dir + "': " + ec.message();
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          (std::filesystem::path(opts.dir) / opts.file).string(), opts.max_file_bytes,
          opts.max_files));
    } catch (const spdlog::spdlog_ex& e) {
      return std::string("cannot open log file: ") + e.what();
    }
  }
  if (!spdlog::thread_pool()) spdlog::init_thread_pool(16384, 1);
  // Under a flood, drop the oldest lines rather than block an event loop.
  auto logger = std::make_shared<spdlog::async_logger>(
      "xiaozhi", sinks.begin(), sinks.end(), spdlog::thread_pool(),
      spdlog::async_overflow_policy::overrun_oldest);
  logger->set_level(lvl);
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
  return {};
}

void shutdown_logging() {
  if (auto l = spdlog::default_logger()) l->flush();
  spdlog::shutdown();
}

}  // namespace xz::core
