#include "providers/asr/qwen3_asr_flash.h"

#include <nlohmann/json.hpp>

#include "audio/wav.h"
#include "core/async.h"
#include "protocol/encoding.h"
#include "providers/asr/asr_answers.h"
#include "providers/asr/one_shot_asr.h"
#include "providers/tts/tts_config.h"

namespace xz::providers {

using json = nlohmann::json;

namespace {

constexpr const char* kEngine = "qwen3_asr_flash";

class Qwen3Recognizer : public OneShotRecognizer {
 public:
  Qwen3Recognizer(const EngineConfig& cfg, ProviderContext& ctx) : http_(kEngine, cfg, ctx, 30) {
    api_key_ = llm_config::opt_string(cfg, "api_key").value_or("");
    if (api_key_.empty()) throw EngineConfigError("api_key: missing");
    url_ = tts_config::endpoint(cfg, {"base_url"}, "https://dashscope.aliyuncs.com/compatible-mode/v1",
                                {"https", "http"});
    while (url_.ends_with('/')) url_.pop_back();
    if (!url_.ends_with("/chat/completions")) url_ += "/chat/completions";
    model_ = llm_config::opt_string(cfg, "model_name").value_or("qwen3-asr-flash");
    options_ = {{"enable_lid", llm_config::opt_bool(cfg, "enable_lid").value_or(true)},
                {"enable_itn", llm_config::opt_bool(cfg, "enable_itn").value_or(true)}};
    if (auto lang = llm_config::opt_string(cfg, "language"); lang && *lang != "auto") options_["language"] = *lang;
    context_ = llm_config::opt_string(cfg, "context").value_or("");
  }

  boost::asio::awaitable<AsrResult> recognize(std::vector<std::int16_t> pcm) const override {
    // Base64 of a long utterance is megabytes of work: not on the event loop. The job
    // captures by reference (g++ 12 double-destroys an owning lambda temporary here).
    const Qwen3Recognizer& self = *this;
    auto build = [&self, &pcm] { return self.body(pcm); };
    std::string body = co_await core::offload(http_.pool(), build);
    auto req = http_.request("POST", url_);
    req.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + api_key_}};
    req.body = std::move(body);
    auto resp = co_await http_.send(std::move(req), asr_answers::error_message);
    co_return asr_answers::qwen3_answer(resp.body);
  }

 private:
  std::string body(const std::vector<std::int16_t>& pcm) const {
    const std::string audio = "data:audio/wav;base64," + protocol::base64_encode(audio::make_wav(pcm, kAsrRate));
    json messages = json::array();
    if (!context_.empty()) {
      messages.push_back({{"role", "system"}, {"content", json::array({{{"type", "text"}, {"text", context_}}})}});
    }
    messages.push_back(
        {{"role", "user"},
         {"content", json::array({{{"type", "input_audio"}, {"input_audio", {{"data", audio}}}}})}});
    const json j = {{"model", model_}, {"messages", messages}, {"stream", false}, {"asr_options", options_}};
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  }

  AsrHttp http_;
  std::string api_key_, url_, model_, context_;
  json options_;
};

}  // namespace

Qwen3AsrFlash::Qwen3AsrFlash(const EngineConfig& cfg, ProviderContext& ctx)
    : recognizer_((llm_config::require_mapping(cfg), std::make_shared<Qwen3Recognizer>(cfg, ctx))),
      max_samples_(max_utterance_samples(cfg)) {}

boost::asio::awaitable<std::unique_ptr<AsrStream>> Qwen3AsrFlash::open() {
  co_return make_one_shot_stream(recognizer_, kEngine, max_samples_);
}

}  // namespace xz::providers
