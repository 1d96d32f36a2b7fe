#include "providers/asr/stream_asr_config.h"

#include <cmath>

#include <boost/asio/ssl/context.hpp>
#include <fmt/format.h>

#include "net/tls_client.h"
#include "providers/llm/llm_config_wire.h"

namespace xz::providers {

WsAsrOptions stream_asr_options(const EngineConfig& cfg, std::string engine, const std::string& url) {
  WsAsrOptions o;
  o.engine = std::move(engine);
  const double seconds = llm_config::opt_positive(cfg, "timeout").value_or(10.0);
  if (seconds > 3600) throw EngineConfigError("timeout: at most 3600 seconds");
  o.timeout = std::chrono::milliseconds(std::llround(seconds * 1000.0));
  if (url.starts_with("wss://")) {
    try {
      o.tls = std::make_shared<boost::asio::ssl::context>(
          net::make_tls_client_context(llm_config::opt_string(cfg, "ca_file").value_or(""), "", true));
    } catch (const std::runtime_error& e) {
      throw EngineConfigError(fmt::format("ca_file: {}", e.what()));
    }
  }
  return o;
}

}  // namespace xz::providers
