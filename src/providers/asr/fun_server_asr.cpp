#include "providers/asr/fun_server_asr.h"

#include <cmath>

#include <boost/asio/ssl/context.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "net/tls_client.h"
#include "protocol/encoding.h"
#include "providers/asr/asr_answers.h"
#include "providers/asr/one_shot_asr.h"
#include "providers/asr/sense_voice_tags.h"
#include "providers/tts/tts_config.h"
#include "providers/tts/vendor_socket.h"

namespace xz::providers {

namespace {

constexpr const char* kEngine = "fun_server";

std::chrono::milliseconds seconds_key(const EngineConfig& cfg, const char* key, double fallback) {
  return std::chrono::milliseconds(std::llround(llm_config::opt_positive(cfg, key).value_or(fallback) * 1000));
}

// The reference's truthiness of is_ssl: str(v).lower() in ("true", "1", "yes").
bool truthy(const EngineConfig& cfg, const char* key, bool fallback) {
  const nlohmann::json* v = llm_config::find(cfg, key);
  if (!v) return fallback;
  std::string s = v->is_string() ? v->get<std::string>() : v->dump();
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s == "true" || s == "1" || s == "yes";
}

class FunServerRecognizer : public OneShotRecognizer {
 public:
  FunServerRecognizer(const EngineConfig& cfg, std::size_t max_samples) {
    if (llm_config::opt_string(cfg, "endpoint")) {
      url_ = tts_config::endpoint(cfg, {"endpoint"}, "", {"ws", "wss"});
    } else {
      const std::string host = llm_config::opt_string(cfg, "host").value_or("localhost");
      const long long port = llm_config::opt_integer(cfg, "port", 1).value_or(10095);
      if (port > 65535) throw EngineConfigError(fmt::format("port: {} is not a port", port));
      url_ = fmt::format("{}://{}:{}", truthy(cfg, "is_ssl", true) ? "wss" : "ws", host, port);
    }
    api_key_ = llm_config::opt_string(cfg, "api_key").value_or("none");
    answer_timeout_ = seconds_key(cfg, "timeout", 5);
    connect_timeout_ = seconds_key(cfg, "connect_timeout", 10);
    const std::string ca_file = llm_config::opt_string(cfg, "ca_file").value_or("");
    try {
      // FunASR's own certificate is self-signed: checked only against a CA the user names.
      tls_ = std::make_shared<boost::asio::ssl::context>(net::make_tls_client_context(ca_file, "", !ca_file.empty()));
    } catch (const std::runtime_error& e) {
      throw EngineConfigError(fmt::format("ca_file: {}", e.what()));
    }
    max_message_ = max_samples * 2 + 4096;
  }

  boost::asio::awaitable<AsrResult> recognize(std::vector<std::int16_t> pcm) const override {
    net::WsClientOptions opts;
    opts.headers = {{"Authorization", "Bearer; " + api_key_}, {"Sec-WebSocket-Protocol", "binary"}};
    opts.tls_context = tls_;
    opts.max_queued_bytes = max_message_ + 65536;
    VendorConnection ws(co_await connect_vendor(url_, opts, connect_timeout_));

    nlohmann::ordered_json start = {{"mode", "offline"},
                                    {"chunk_size", {5, 10, 5}},
                                    {"chunk_interval", 10},
                                    {"wav_name", protocol::hex_encode(protocol::random_bytes(16))},
                                    {"is_speaking", true},
                                    {"itn", false}};
    if (!ws->send_text(start.dump()) || !ws->send_binary(pcm_bytes(pcm)) ||
        !ws->send_text(R"({"is_speaking": false})")) {
      throw std::runtime_error("the connection closed while the audio was sent");
    }
    std::string text;
    bool answered = false;
    for (;;) {
      net::WsMessage msg;
      try {
        msg = co_await next_vendor_message(*ws, answer_timeout_);
      } catch (const std::runtime_error&) {
        // The C++ offline and Python servers never say is_final: after an answer, going
        // quiet (or closing) ends it, as in the reference. Nothing at all is a failure.
        if (!answered) throw;
        break;
      }
      if (msg.binary) continue;
      const auto m = asr_answers::funasr_message(msg.data);
      answered = true;
      // The server's one error answer arrives as a final text.
      if (m.text.starts_with("ERROR. ")) throw std::runtime_error(m.text);
      text += m.text;
      if (m.is_final) break;
    }
    ws.mark_done();
    const TaggedText tagged = split_sense_voice_tags(text);
    AsrResult r;
    r.text = tagged.text;
    if (!tagged.tags.empty()) r.language = tagged.tags[0];
    if (tagged.tags.size() > 1) r.emotion = tagged.tags[1];
    if (tagged.tags.size() > 2) r.event = tagged.tags[2];
    co_return r;
  }

 private:
  std::string url_, api_key_;
  std::chrono::milliseconds answer_timeout_{5000}, connect_timeout_{10000};
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::size_t max_message_ = 0;
};

}  // namespace

FunServerAsr::FunServerAsr(const EngineConfig& cfg, ProviderContext&)
    : max_samples_((llm_config::require_mapping(cfg), max_utterance_samples(cfg))) {
  recognizer_ = std::make_shared<FunServerRecognizer>(cfg, max_samples_);
}

boost::asio::awaitable<std::unique_ptr<AsrStream>> FunServerAsr::open() {
  co_return make_one_shot_stream(recognizer_, kEngine, max_samples_);
}

}  // namespace xz::providers
