#include "providers/asr/aliyun_asr.h"

#include <memory>

#include <fmt/format.h>

#include "protocol/json_text.h"
#include "protocol/percent_encoding.h"
#include "providers/asr/asr_answers.h"
#include "providers/asr/one_shot_asr.h"
#include "providers/tts/aliyun_token.h"
#include "providers/tts/tts_config.h"
#include "providers/tts/ws_duplex_link.h"

namespace xz::providers {

namespace {

constexpr const char* kEngine = "aliyun";

// A non-2xx answer's message: its status and message when it is the service's JSON.
std::string aliyun_error(std::string_view body) {
  try {
    (void)asr_answers::aliyun_answer(body);
  } catch (const asr_answers::AnswerError& e) {
    if (protocol::parse_json_text(body).contains("status")) return e.what();
  }
  return asr_answers::error_message(body);
}

class AliyunRecognizer : public OneShotRecognizer {
 public:
  AliyunRecognizer(const EngineConfig& cfg, ProviderContext& ctx) : http_(kEngine, cfg, ctx, 30) {
    appkey_ = llm_config::opt_string(cfg, "appkey").value_or("");
    if (appkey_.empty()) throw EngineConfigError("appkey: missing");
    url_ = tts_config::endpoint(cfg, {"endpoint"}, "https://nls-gateway-cn-shanghai.aliyuncs.com/stream/v1/asr",
                                {"https", "http"});
    // The reference's parameters, but format=pcm: the body is raw PCM (the reference
    // labels it wav).
    url_ += fmt::format(
        "{}appkey={}&format=pcm&sample_rate={}&enable_punctuation_prediction=true"
        "&enable_inverse_text_normalization=true&enable_voice_detection=false",
        url_.find('?') == std::string::npos ? '?' : '&', protocol::percent_encode(appkey_), kAsrRate);
    tokens_ = std::make_unique<AliyunTokenSource>(cfg, llm_config::timeouts(cfg, 30).total);
  }

  boost::asio::awaitable<AsrResult> recognize(std::vector<std::int16_t> pcm) const override {
    std::string token;
    try {
      token = co_await tokens_->token();
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(fmt::format("{}: {}", kEngine, e.what()));
    }
    auto req = http_.request("POST", url_);
    req.headers = {{"X-NLS-Token", token}, {"Content-Type", "application/octet-stream"}};
    req.body = pcm_bytes(pcm);
    net::HttpClientResponse resp;
    try {
      resp = co_await http_.send(std::move(req), aliyun_error);
    } catch (const std::runtime_error& e) {
      // A refused token (40000001: expired early, revoked): the next utterance asks for a new one.
      if (std::string_view(e.what()).find("40000001") != std::string_view::npos) tokens_->forget(token);
      throw;
    }
    AsrResult r;
    r.text = asr_answers::aliyun_answer(resp.body);
    co_return r;
  }

 private:
  AsrHttp http_;
  std::string appkey_, url_;
  std::unique_ptr<AliyunTokenSource> tokens_;  // shared by the sessions of every event loop
};

}  // namespace

AliyunAsr::AliyunAsr(const EngineConfig& cfg, ProviderContext& ctx)
    : recognizer_((llm_config::require_mapping(cfg), std::make_shared<AliyunRecognizer>(cfg, ctx))),
      max_samples_(max_utterance_samples(cfg)) {}

boost::asio::awaitable<std::unique_ptr<AsrStream>> AliyunAsr::open() {
  co_return make_one_shot_stream(recognizer_, kEngine, max_samples_);
}

}  // namespace xz::providers
