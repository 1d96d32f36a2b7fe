#pragma once
// The built-in functions a server offers the LLM, built from the configuration: those
// named in Intent.<selected>.functions, plus handle_exit_intent, get_lunar and
// get_time always. Build them once per process and share them: every tool is safe to
// call from any session on any loop.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "core/config.h"
#include "net/http_client.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/tool.h"

namespace xz::tools::builtin {

struct BuiltinDeps {
  boost::asio::thread_pool& pool;         // file scans, sox spawning, decoding
  std::shared_ptr<net::HttpClient> http;  // weather, web search, Home Assistant
  std::optional<double> utc_offset_hours{};  // unset: server.timezone_offset (default 8)
  std::function<std::chrono::system_clock::time_point()> now{};  // unset: the system clock
};

// Every function name this server implements, in a stable order.
const std::vector<std::string>& builtin_function_names();

// Throws core::ConfigError listing every problem (unknown function names as
// "Intent.<name>.functions[i]: ...", bad or missing plugins.<name>.* settings).
std::vector<ToolPtr> make_builtin_tools(const core::Config& cfg, BuiltinDeps deps);

}  // namespace xz::tools::builtin
