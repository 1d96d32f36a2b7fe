#include "providers/tts/openai_tts.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "audio/audio_stream_decoder.h"
#include "net/http_client.h"
#include "protocol/json_text.h"
#include "providers/llm/llm_config_wire.h"

namespace xz::providers {

using json = nlohmann::json;

namespace {

// Configuration reading: absent, null and "" (an unset ${ENV}) mean "not set".
using llm_config::opt_positive;
using llm_config::opt_string;

std::string api_error(const std::string& body) {
  auto j = protocol::parse_json_text(body);
  if (j.is_object()) {
    if (auto e = j.find("error"); e != j.end()) {
      if (e->is_string()) return e->get<std::string>();
      if (e->is_object() && e->contains("message") && (*e)["message"].is_string()) return (*e)["message"];
    }
    if (auto m = j.find("message"); m != j.end() && m->is_string()) return m->get<std::string>();
  }
  return body.empty() ? "(empty body)" : body.substr(0, 300);
}

}  // namespace

OpenAiTts::OpenAiTts(const EngineConfig& cfg, ProviderContext& /*ctx*/) {
  if (!cfg.is_object()) throw EngineConfigError("not a mapping");
  std::optional<std::string> url;
  const char* url_key = nullptr;
  for (const char* key : {"api_url", "url", "base_url"}) {
    if ((url = opt_string(cfg, key))) {
      url_key = key;
      break;
    }
  }
  if (!url) throw EngineConfigError("api_url: missing (the full /audio/speech URL)");
  if (!url->starts_with("http://") && !url->starts_with("https://")) {
    throw EngineConfigError(fmt::format("{}: not an http(s) URL: '{}'", url_key, *url));
  }
  url_ = *url;
  api_key_ = opt_string(cfg, "api_key").value_or("");
  model_ = opt_string(cfg, "model").value_or("tts-1");
  // The manager-api's per-agent voice wins, as in the reference.
  voice_ = opt_string(cfg, "private_voice").value_or(opt_string(cfg, "voice").value_or("alloy"));
  speed_ = opt_positive(cfg, "speed").value_or(1.0);
  if (speed_ < 0.25 || speed_ > 4.0) throw EngineConfigError("speed: must be between 0.25 and 4");
  // `response_format` is the API's name, `format` the reference's; either asks the API for
  // that format, whose answer is decoded as it arrives.
  for (const char* key : {"response_format", "format"}) {
    auto format = opt_string(cfg, key);
    if (!format) continue;
    auto known = audio::audio_format_from_name(*format);
    if (!known || *format == "ogg") {
      throw EngineConfigError(
          fmt::format("{}: '{}' is not supported (mp3, opus, aac, flac, wav or pcm)", key, *format));
    }
    format_ = *format;
    break;
  }
  if (auto r = opt_positive(cfg, "sample_rate")) pcm_rate_ = static_cast<int>(*r);
  if (auto t = opt_positive(cfg, "timeout")) timeout_ = std::chrono::milliseconds(std::llround(*t * 1000));

  net::HttpClientOptions http_opts;
  http_opts.ca_file = opt_string(cfg, "ca_file").value_or("");
  try {
    http_ = std::make_unique<net::HttpClient>(http_opts);
  } catch (const std::runtime_error& e) {
    throw EngineConfigError(fmt::format("ca_file: {}", e.what()));
  }
}

OpenAiTts::~OpenAiTts() = default;

boost::asio::awaitable<void> OpenAiTts::synthesize(TtsRequest req, PcmSink sink) {
  if (req.text.find_first_not_of(" \t\r\n") == std::string::npos) co_return;
  json body = {{"model", model_},
               {"input", req.text},
               {"voice", req.voice.empty() ? voice_ : req.voice},
               {"speed", speed_},
               {"response_format", format_}};
  net::HttpClientRequest hr;
  hr.method = "POST";
  hr.url = url_;
  hr.headers = {{"Content-Type", "application/json"}};
  if (!api_key_.empty()) hr.headers.emplace_back("Authorization", "Bearer " + api_key_);
  hr.body = body.dump();
  hr.total_timeout = timeout_;
  hr.connect_timeout = std::min(hr.connect_timeout, timeout_);

  // Raw PCM has no header to tell it by; a container is recognised from its first bytes,
  // so an OpenAI-compatible server that answers WAV to every request still works.
  auto decoder = format_ == "pcm" ? audio::make_audio_stream_decoder(audio::AudioFormat::pcm, pcm_rate_)
                                  : audio::make_audio_stream_decoder(audio::AudioFormat::sniff);
  std::string audio_error;
  bool stopped = false;
  // Named values only around co_await: g++ 12 destroys braced temporaries there twice.
  auto deliver = [&](audio::DecodedPcm& pcm) -> boost::asio::awaitable<bool> {
    if (pcm.samples.empty()) co_return true;
    PcmChunk chunk;
    chunk.samples = std::move(pcm.samples);
    chunk.sample_rate = pcm.sample_rate;
    stopped = !co_await sink(std::move(chunk));
    co_return !stopped;
  };
  net::HttpBodyHandler on_body = [&](std::string_view bytes) -> boost::asio::awaitable<bool> {
    audio::DecodedPcm pcm;
    try {
      pcm = decoder->push(audio::as_bytes(bytes));
    } catch (const audio::AudioFormatError& e) {
      audio_error = e.what();
      co_return false;  // drops the connection
    }
    co_return co_await deliver(pcm);
  };
  net::HttpClientResponse resp;
  try {
    resp = co_await http_->stream(std::move(hr), std::move(on_body));
  } catch (const boost::system::system_error& e) {
    if (e.code() == boost::asio::error::operation_aborted) throw;
    throw std::runtime_error(fmt::format("{}: {}", name(), e.what()));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(fmt::format("{}: {}", name(), e.what()));
  }
  if (!resp.ok()) throw std::runtime_error(fmt::format("{}: HTTP {}: {}", name(), resp.status, api_error(resp.body)));
  if (audio_error.empty() && !stopped) {
    audio::DecodedPcm rest;
    try {
      rest = decoder->finish();
    } catch (const audio::AudioFormatError& e) {
      audio_error = e.what();
    }
    co_await deliver(rest);
  }
  if (!audio_error.empty()) throw std::runtime_error(fmt::format("{}: bad {} answer: {}", name(), format_, audio_error));
}

std::string OpenAiTts::name() const { return fmt::format("openai TTS ({})", model_); }

}  // namespace xz::providers
