#include "providers/tts/duplex_config.h"

#include <cmath>

#include <boost/asio/ssl/context.hpp>
#include <fmt/format.h>

#include "net/tls_client.h"
#include "providers/llm/llm_config_wire.h"

namespace xz::providers {

using llm_config::opt_positive;
using llm_config::opt_string;

namespace {
std::chrono::milliseconds seconds(double s) { return std::chrono::milliseconds(std::llround(s * 1000.0)); }
}  // namespace

std::string duplex_endpoint(const EngineConfig& cfg, std::initializer_list<const char*> keys,
                            std::string_view default_url) {
  llm_config::require_mapping(cfg);
  std::optional<std::string> url;
  const char* key = "endpoint";
  for (const char* k : keys) {
    if ((url = opt_string(cfg, k))) {
      key = k;
      break;
    }
  }
  if (!url) url = opt_string(cfg, "endpoint");
  if (!url) url = std::string(default_url);
  if (!url->starts_with("ws://") && !url->starts_with("wss://"))
    throw EngineConfigError(fmt::format("{}: not a ws:// or wss:// URL: '{}'", key, *url));
  return *url;
}

DuplexOptions duplex_options(const EngineConfig& cfg, std::string engine, const std::string& url,
                             double default_idle_seconds) {
  DuplexOptions o;
  o.engine = std::move(engine);
  o.timeout = seconds(opt_positive(cfg, "tts_timeout").value_or(15.0));
  double idle = default_idle_seconds;
  if (const auto* v = llm_config::find(cfg, "idle_timeout")) {
    auto n = llm_config::opt_number(cfg, "idle_timeout");
    if (!n || *n < 0 || !std::isfinite(*n)) throw EngineConfigError("idle_timeout: not a number >= 0");
    (void)v;
    idle = *n;
  }
  o.reuse_idle = seconds(idle);
  if (url.starts_with("wss://")) {
    try {
      o.tls = std::make_shared<boost::asio::ssl::context>(
          net::make_tls_client_context(opt_string(cfg, "ca_file").value_or(""), "", true));
    } catch (const std::runtime_error& e) {
      throw EngineConfigError(fmt::format("ca_file: {}", e.what()));
    }
  }
  return o;
}

double bounded_number(const EngineConfig& cfg, const char* key, double lo, double hi, double fallback) {
  auto v = llm_config::opt_number(cfg, key);
  if (!v) return fallback;
  if (*v < lo || *v > hi) throw EngineConfigError(fmt::format("{}: must be between {} and {}", key, lo, hi));
  return *v;
}

DuplexEvent pcm_event(std::string bytes, int sample_rate) {
  DuplexEvent ev;
  ev.kind = DuplexEvent::Kind::audio;
  ev.audio = std::move(bytes);
  ev.sample_rate = sample_rate;
  return ev;
}

std::string required_string(const EngineConfig& cfg, const char* key) {
  auto v = opt_string(cfg, key);
  if (!v) throw EngineConfigError(fmt::format("{}: missing", key));
  return *v;
}

}  // namespace xz::providers
