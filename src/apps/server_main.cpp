// xiaozhi-server: parse the command line, load the configuration, run the server
// until SIGINT/SIGTERM, shut down gracefully (a second signal exits at once).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include <spdlog/spdlog.h>

#include "apps/cli.h"
#include "apps/commands.h"
#include "apps/config_source.h"
#include "apps/server.h"
#include "core/config.h"
#include "core/fd_limit.h"
#include "core/log.h"
#include "version.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadConfig = 2;

xz::core::LogOptions log_options(const xz::core::Config& cfg) {
  xz::core::LogOptions o;
  o.level = cfg.str("log.log_level", "info");
  o.dir = cfg.str("log.log_dir", "tmp");
  o.file = cfg.str("log.log_file", "server.log");
  o.max_file_bytes = cfg.get<std::size_t>("log.max_file_mb", 10) * 1024 * 1024;
  o.max_files = cfg.get<std::size_t>("log.max_files", 5);
  o.console = cfg.get<bool>("log.console", true);
  return o;
}

// Blocks SIGINT/SIGTERM in this thread and so in every thread started after it (the
// logger's flusher too: a signal delivered to a thread that does not block it kills the
// process). Call before any thread exists; run_server collects them with sigwaitinfo.
sigset_t block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

void print_problems(const xz::core::ConfigError& e) {
  std::cerr << "configuration errors:\n";
  for (const auto& p : e.problems()) std::cerr << "  " << p << "\n";
}

int run_server(xz::core::Config cfg, sigset_t set) {
  const double grace_s = cfg.get<double>("server.shutdown_grace_seconds", 5.0);
  std::unique_ptr<xz::apps::Server> owned;
  try {
    owned = std::make_unique<xz::apps::Server>(std::move(cfg));
    owned->start();
  } catch (const xz::core::ConfigError& e) {
    // The same problems, worded the same, as --check-config reports.
    for (const auto& p : e.problems()) spdlog::critical("configuration: {}", p);
    return kExitBadConfig;
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return kExitFailure;
  }
  auto& server = *owned;
  spdlog::info("{} {} ready", xz::kProductName, xz::kVersion);

  int sig = 0;
  while (sig <= 0) sig = sigwaitinfo(&set, nullptr);
  spdlog::info("received {}; shutting down (grace {:g} s, send again to exit at once)",
               sig == SIGINT ? "SIGINT" : "SIGTERM", grace_s);

  std::atomic<bool> done{false};
  std::thread stopper([&] {
    server.shutdown(std::chrono::milliseconds(static_cast<long long>(grace_s * 1000)));
    done = true;
  });
  timespec poll{0, 50 * 1000 * 1000};
  while (!done) {
    if (sigtimedwait(&set, nullptr, &poll) > 0) {
      std::fputs("second signal: exiting now\n", stderr);
      std::_Exit(kExitFailure);
    }
  }
  stopper.join();
  spdlog::info("stopped");
  xz::core::shutdown_logging();
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  xz::apps::CliOptions cli;
  if (auto err = xz::apps::parse_cli(argc, argv, cli)) {
    std::cerr << "xiaozhi-server: " << *err << "\n\n" << xz::apps::cli_usage();
    return kExitBadConfig;
  }
  if (cli.help) {
    std::cout << xz::apps::cli_usage();
    return kExitOk;
  }
  if (cli.version) {
    std::cout << xz::kProductName << " " << xz::kVersion << "\n";
    return kExitOk;
  }

  xz::core::ConfigSource src = xz::apps::server_config_source();
  src.path = cli.config_path;
  src.overrides = cli.overrides;
  xz::core::Config cfg;
  try {
    cfg = xz::core::Config::load(src);
  } catch (const xz::core::ConfigError& e) {
    print_problems(e);
    return kExitBadConfig;
  }

  if (cli.check_config) {
    for (const auto& w : cfg.warnings()) std::cerr << "warning: " << w << "\n";
    // Engines log as they load: to stderr, so stdout stays the configuration alone.
    xz::core::LogOptions quiet;
    quiet.level = "warn";
    quiet.dir.clear();
    xz::core::init_logging(quiet);
    int rc = kExitOk;
    try {
      xz::apps::Server::check_config(cfg);
    } catch (const xz::core::ConfigError& e) {
      print_problems(e);
      rc = kExitBadConfig;
    } catch (const std::exception& e) {
      std::cerr << "xiaozhi-server: cannot check the configuration: " << e.what() << "\n";
      rc = kExitFailure;
    }
    xz::core::shutdown_logging();
    if (rc != kExitOk) return rc;
    std::cout << cfg.masked().dump(2) << "\n";
    std::cerr << "configuration OK"
              << (cfg.override_path().empty() ? " (defaults only)"
                                              : " (override: " + cfg.override_path() + ")")
              << "\n";
    return kExitOk;
  }

  if (!cli.command.empty()) return xz::apps::run_command(cfg, cli.command);

  const sigset_t signals = block_shutdown_signals();
  if (auto err = xz::core::init_logging(log_options(cfg)); !err.empty()) {
    std::cerr << "xiaozhi-server: " << err << "\n";
    return kExitBadConfig;
  }
  for (const auto& w : cfg.warnings()) spdlog::warn("config: {}", w);
  spdlog::info("{}", xz::core::describe(xz::core::raise_fd_limit()));
  if (!cfg.override_path().empty()) spdlog::info("config override: {}", cfg.override_path());
  return run_server(std::move(cfg), signals);
}
