#pragma once
// Command line of xiaozhi-server: options, plus sub-commands that operate on the
// data directory without starting the server.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::apps {

struct CliOptions {
  bool help = false;
  bool version = false;
  bool check_config = false;
  std::optional<std::string> config_path;
  // Config values set by options (--port, --io-threads, ...), as dotted paths.
  std::vector<std::pair<std::string, nlohmann::json>> overrides;
  // Sub-command and its arguments, e.g. {"devices", "bind", "123456"}.
  std::vector<std::string> command;
};

// Parses argv. Returns an error message for unknown options or bad values.
std::optional<std::string> parse_cli(int argc, const char* const* argv, CliOptions& out);
std::string cli_usage();

}  // namespace xz::apps
