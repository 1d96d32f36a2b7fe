#include "providers/tts/custom_tts.h"

#include <strings.h>

#include <fmt/format.h>

#include "protocol/json_text.h"
#include "providers/tts/speech_output.h"
#include "providers/tts/tts_config.h"

namespace xz::providers {

using json = nlohmann::json;

nlohmann::json custom_tts_params(const json& params, const std::string& text) {
  json out = params;
  for (auto& [key, value] : out.items()) {
    if (!value.is_string()) continue;
    std::string s = value.get<std::string>();
    for (std::size_t at = 0; (at = s.find("{prompt_text}", at)) != std::string::npos; at += text.size())
      s.replace(at, 13, text);
    value = s;
  }
  return out;
}

CustomTts::CustomTts(const EngineConfig& cfg, ProviderContext& ctx)
    : http_("Custom TTS", (llm_config::require_mapping(cfg), cfg), ctx, 30) {
  url_ = tts_config::endpoint(cfg, {"url"}, "", {"http", "https"});
  const std::string method = llm_config::opt_string(cfg, "method").value_or("GET");
  if (method != "GET" && method != "POST" && method != "get" && method != "post")
    throw EngineConfigError(fmt::format("method: '{}' is not GET or POST", method));
  post_ = method == "POST" || method == "post";
  if (const json* h = llm_config::find(cfg, "headers")) {
    if (!h->is_object()) throw EngineConfigError("headers: not a mapping");
    for (const auto& [name, value] : h->items()) {
      if (value.is_null()) continue;
      const std::string v = value.is_string() ? value.get<std::string>() : value.dump();
      if (name.find_first_of("\r\n:") != std::string::npos || v.find_first_of("\r\n") != std::string::npos)
        throw EngineConfigError(fmt::format("headers.{}: must not contain a line break", name));
      headers_.emplace_back(name, v);
    }
  }
  params_ = json::object();
  if (const json* p = llm_config::find(cfg, "params")) {
    // The manager-api stores it as JSON text.
    params_ = p->is_string() ? protocol::parse_json_text(p->get<std::string>()) : *p;
    if (!params_.is_object()) throw EngineConfigError("params: not a mapping (or JSON text of one)");
  }
  format_ = tts_config::audio_format(cfg, "format", "wav");
  if (auto r = llm_config::opt_integer(cfg, "sample_rate", 1000)) sample_rate_ = static_cast<int>(*r);
}

boost::asio::awaitable<void> CustomTts::synthesize(TtsRequest req, PcmSink sink) {
  if (is_blank(req.text)) co_return;
  const json params = custom_tts_params(params_, req.text);
  HttpSpeech call{http_.request(post_ ? "POST" : "GET", post_ ? url_ : with_query(url_, python_query_string(params))),
                  audio::make_audio_stream_decoder(format_, sample_rate_)};
  if (post_) {
    call.request.headers.emplace_back("Content-Type", "application/json");
    call.request.body = params.dump();
  }
  // The configured headers win, Content-Type included.
  for (const auto& [name, value] : headers_) {
    std::erase_if(call.request.headers, [&](const auto& h) { return strcasecmp(h.first.c_str(), name.c_str()) == 0; });
    call.request.headers.emplace_back(name, value);
  }
  co_await http_.speak(std::move(call), sink);
}

}  // namespace xz::providers
