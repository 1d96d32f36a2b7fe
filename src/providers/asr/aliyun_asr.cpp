#include "providers/asr/aliyun_asr.h"

#include <ctime>
#include <mutex>
#include <optional>

#include <fmt/format.h>

#include "protocol/json_text.h"
#include "protocol/percent_encoding.h"
#include "providers/asr/asr_answers.h"
#include "providers/asr/one_shot_asr.h"
#include "providers/tts/aliyun_wire.h"
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
    key_id_ = llm_config::opt_string(cfg, "access_key_id").value_or("");
    key_secret_ = llm_config::opt_string(cfg, "access_key_secret").value_or("");
    token_ = llm_config::opt_string(cfg, "token").value_or("");
    if (key_id_.empty() != key_secret_.empty())
      throw EngineConfigError(key_id_.empty() ? "access_key_id: missing (access_key_secret is set)"
                                              : "access_key_secret: missing (access_key_id is set)");
    if (key_id_.empty() && token_.empty())
      throw EngineConfigError("token: missing (or access_key_id and access_key_secret)");
    url_ = tts_config::endpoint(cfg, {"endpoint"}, "https://nls-gateway-cn-shanghai.aliyuncs.com/stream/v1/asr",
                                {"https", "http"});
    token_url_ = tts_config::endpoint(cfg, {"token_url"}, "http://nls-meta.cn-shanghai.aliyuncs.com/",
                                      {"https", "http"});
    // The reference's parameters, but format=pcm: the body is raw PCM (the reference
    // labels it wav).
    url_ += fmt::format(
        "{}appkey={}&format=pcm&sample_rate={}&enable_punctuation_prediction=true"
        "&enable_inverse_text_normalization=true&enable_voice_detection=false",
        url_.find('?') == std::string::npos ? '?' : '&', protocol::percent_encode(appkey_), kAsrRate);
  }

  boost::asio::awaitable<AsrResult> recognize(std::vector<std::int16_t> pcm) const override {
    const std::string token = co_await current_token();
    auto req = http_.request("POST", url_);
    req.headers = {{"X-NLS-Token", token}, {"Content-Type", "application/octet-stream"}};
    req.body = pcm_bytes(pcm);
    net::HttpClientResponse resp;
    try {
      resp = co_await http_.send(std::move(req), aliyun_error);
    } catch (const std::runtime_error& e) {
      // A refused token (40000001: expired early, revoked): the next utterance asks for a new one.
      if (std::string_view(e.what()).find("40000001") != std::string_view::npos) forget(token);
      throw;
    }
    AsrResult r;
    r.text = asr_answers::aliyun_answer(resp.body);
    co_return r;
  }

 private:
  boost::asio::awaitable<std::string> current_token() const {
    if (key_id_.empty()) co_return token_;
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    {
      std::lock_guard lk(mu_);
      if (cached_ && now < cached_->expire_time - 60) co_return cached_->id;
    }
    char stamp[32];
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    aliyun::TokenRequest r{key_id_, key_secret_, random_uuid(), stamp};
    auto req = http_.request("GET", aliyun::token_url(token_url_, r));
    auto resp = co_await http_.send(std::move(req), [](std::string_view b) {
      try {
        (void)aliyun::parse_token_answer(b);
      } catch (const std::exception& e) {
        return "CreateToken: " + std::string(e.what());
      }
      return "CreateToken: " + asr_answers::error_message(b);
    });
    aliyun::Token tok;
    try {
      tok = aliyun::parse_token_answer(resp.body);
    } catch (const std::exception& e) {
      throw std::runtime_error("CreateToken: " + std::string(e.what()));
    }
    std::lock_guard lk(mu_);
    cached_ = tok;
    co_return tok.id;
  }

  void forget(const std::string& token) const {
    std::lock_guard lk(mu_);
    if (cached_ && cached_->id == token) cached_.reset();
  }

  AsrHttp http_;
  std::string appkey_, key_id_, key_secret_, token_, url_, token_url_;
  mutable std::mutex mu_;  // the token is shared by the sessions of every event loop
  mutable std::optional<aliyun::Token> cached_;
};

}  // namespace

AliyunAsr::AliyunAsr(const EngineConfig& cfg, ProviderContext& ctx)
    : recognizer_((llm_config::require_mapping(cfg), std::make_shared<AliyunRecognizer>(cfg, ctx))),
      max_samples_(max_utterance_samples(cfg)) {}

boost::asio::awaitable<std::unique_ptr<AsrStream>> AliyunAsr::open() {
  co_return make_one_shot_stream(recognizer_, kEngine, max_samples_);
}

}  // namespace xz::providers
