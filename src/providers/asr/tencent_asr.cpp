#include "providers/asr/tencent_asr.h"

#include <ctime>

#include <nlohmann/json.hpp>

#include "core/async.h"
#include "protocol/encoding.h"
#include "providers/asr/asr_answers.h"
#include "providers/asr/one_shot_asr.h"
#include "providers/tts/tencent_tts.h"
#include "providers/tts/tts_config.h"

namespace xz::providers {

namespace {

constexpr const char* kEngine = "tencent";
constexpr std::string_view kHost = "asr.tencentcloudapi.com";
constexpr std::string_view kContentType = "application/json; charset=utf-8";

class TencentRecognizer : public OneShotRecognizer {
 public:
  TencentRecognizer(const EngineConfig& cfg, ProviderContext& ctx) : http_(kEngine, cfg, ctx, 30) {
    secret_id_ = llm_config::opt_string(cfg, "secret_id").value_or("");
    secret_key_ = llm_config::opt_string(cfg, "secret_key").value_or("");
    if (secret_id_.empty()) throw EngineConfigError("secret_id: missing");
    if (secret_key_.empty()) throw EngineConfigError("secret_key: missing");
    url_ = tts_config::endpoint(cfg, {"endpoint"}, "https://asr.tencentcloudapi.com", {"https", "http"});
    region_ = llm_config::opt_string(cfg, "region").value_or("ap-shanghai");
    model_ = llm_config::opt_string(cfg, "eng_service_type").value_or("16k_zh");
  }

  boost::asio::awaitable<AsrResult> recognize(std::vector<std::int16_t> pcm) const override {
    const TencentRecognizer& self = *this;
    auto build = [&self, &pcm] { return self.body(pcm); };
    std::string body = co_await core::offload(http_.pool(), build);
    const std::time_t now = std::time(nullptr);
    auto req = http_.request("POST", url_);
    req.headers = {{"Content-Type", std::string(kContentType)},
                   {"Host", std::string(kHost)},
                   {"Authorization", tc3_authorization(secret_id_, secret_key_, "asr", kHost, kContentType, body, now)},
                   {"X-TC-Action", "SentenceRecognition"},
                   {"X-TC-Version", "2019-06-14"},
                   {"X-TC-Timestamp", std::to_string(now)},
                   {"X-TC-Region", region_}};
    req.body = std::move(body);
    // Tencent answers its errors with HTTP 200 and Response.Error; other statuses carry
    // the same envelope or none.
    auto resp = co_await http_.send(std::move(req), asr_answers::tencent_error);
    AsrResult r;
    r.text = asr_answers::tencent_answer(resp.body);
    co_return r;
  }

 private:
  std::string body(const std::vector<std::int16_t>& pcm) const {
    const std::string audio = pcm_bytes(pcm);
    // DataLen is the audio's length before base64, as Tencent's API documents it (the
    // reference sends the base64 length).
    const nlohmann::ordered_json j = {{"ProjectId", 0},
                                      {"SubServiceType", 2},
                                      {"EngSerViceType", model_},
                                      {"SourceType", 1},
                                      {"VoiceFormat", "pcm"},
                                      {"Data", protocol::base64_encode(audio)},
                                      {"DataLen", audio.size()}};
    return j.dump();
  }

  AsrHttp http_;
  std::string secret_id_, secret_key_, url_, region_, model_;
};

}  // namespace

TencentAsr::TencentAsr(const EngineConfig& cfg, ProviderContext& ctx)
    : recognizer_((llm_config::require_mapping(cfg), std::make_shared<TencentRecognizer>(cfg, ctx))),
      max_samples_(max_utterance_samples(cfg)) {}

boost::asio::awaitable<std::unique_ptr<AsrStream>> TencentAsr::open() {
  co_return make_one_shot_stream(recognizer_, kEngine, max_samples_);
}

}  // namespace xz::providers
