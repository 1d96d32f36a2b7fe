#include "apps/cli.h"

#include <charconv>
#include <string_view>

namespace xz::apps {

namespace {

std::optional<long long> to_int(std::string_view s) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

struct IntOption {
  const char* flag;
  const char* path;
};
constexpr IntOption kIntOptions[] = {
    {"--port", "server.port"},
    {"--http-port", "server.http_port"},
    {"--io-threads", "server.io_threads"},
    {"--workers", "server.workers"},
};

}  // namespace

std::string cli_usage() {
  return R"(Usage: xiaozhi-server [options]
       xiaozhi-server devices list | devices bind CODE
       xiaozhi-server history DEVICE_ID [--limit N]
       xiaozhi-server admin list-users | add-user USER [--role viewer|admin] | set-password USER | remove-user USER

The backend for XiaoZhi ESP32 voice devices: WebSocket device protocol, OTA,
voice pipeline (VAD, ASR, LLM, TTS), tools and MCP.

Options:
  -h, --help             show this help and exit
  -v, --version          print the version and exit
  -c, --config PATH      configuration override file (default: data/.config.yaml if it exists),
                         deep-merged over the built-in config/config.yaml
      --check-config     check the configuration as start-up does (engines and functions are
                         built, without network or listeners) and print it with secrets masked,
                         warning about keys no code reads; exit 0, or print the problems, exit 2
      --io-threads N     event-loop threads (default: one per core)
      --workers N        worker-pool threads for blocking work (default: one per core)
      --log-level LEVEL  trace, debug, info, warn, error, critical, off
      --port N           WebSocket port (server.port)
      --http-port N      HTTP port for OTA, vision, health, metrics (server.http_port; 0 = off)
      --data-dir DIR     state directory (log.data_dir)

Commands (on the data directory; the server may be running):
  devices list           the devices seen, newest first
  devices bind CODE      bind the device showing this 6-digit activation code
  history DEVICE_ID      the device's recent conversations (--limit N turns, default 50)
  admin list-users       the console's accounts
  admin add-user USER    add a console account (--role viewer|admin, default viewer)
  admin set-password USER  set an account's password
  admin remove-user USER remove an account (not the last admin)
                         Passwords are read from --password-file FILE (its first line) or
                         standard input (typed twice at a terminal), never from arguments.

Environment: ${VAR} and ${VAR:-default} in configuration strings are expanded.
)";
}

std::optional<std::string> parse_cli(int argc, const char* const* argv, CliOptions& out) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    std::string value;
    bool has_inline = false;
    if (a.rfind("--", 0) == 0) {
      auto eq = a.find('=');
      if (eq != std::string_view::npos) {
        value = std::string(a.substr(eq + 1));
        a = a.substr(0, eq);
        has_inline = true;
      }
    }
    auto next = [&](std::string& v) -> bool {
      if (has_inline) {
        v = value;
        return true;
      }
      if (i + 1 >= argc) return false;
      v = argv[++i];
      return true;
    };

    if (a == "-h" || a == "--help") {
      out.help = true;
    } else if (a == "-v" || a == "--version") {
      out.version = true;
    } else if (a == "--check-config") {
      out.check_config = true;
    } else if (a == "-c" || a == "--config") {
      std::string v;
      if (!next(v) || v.empty()) return std::string(a) + " needs a file path";
      out.config_path = v;
    } else if (a == "--log-level") {
      std::string v;
      if (!next(v)) return "--log-level needs a level";
      out.overrides.emplace_back("log.log_level", v);
    } else if (a == "--data-dir") {
      std::string v;
      if (!next(v) || v.empty()) return "--data-dir needs a directory";
      out.overrides.emplace_back("log.data_dir", v);
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      bool matched = false;
      for (const auto& o : kIntOptions) {
        if (a != o.flag) continue;
        matched = true;
        std::string v;
        if (!next(v)) return std::string(a) + " needs a number";
        auto n = to_int(v);
        if (!n) return std::string(a) + ": '" + v + "' is not a number";
        out.overrides.emplace_back(o.path, *n);
      }
      // Sub-command options are passed through (e.g. history --limit 5).
      if (!matched) {
        if (out.command.empty()) return "unknown option " + std::string(argv[i]);
        out.command.emplace_back(argv[i]);
      }
    } else {
      out.command.emplace_back(argv[i]);
    }
  }
  return std::nullopt;
}

}  // namespace xz::apps
