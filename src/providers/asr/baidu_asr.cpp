#include "providers/asr/baidu_asr.h"

#include <chrono>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/async.h"
#include "protocol/encoding.h"
#include "protocol/percent_encoding.h"
#include "providers/asr/asr_answers.h"
#include "providers/asr/one_shot_asr.h"
#include "providers/tts/tts_config.h"

namespace xz::providers {

namespace {

constexpr const char* kEngine = "baidu";
using Clock = std::chrono::steady_clock;

class BaiduRecognizer : public OneShotRecognizer {
 public:
  BaiduRecognizer(const EngineConfig& cfg, ProviderContext& ctx) : http_(kEngine, cfg, ctx, 30) {
    api_key_ = llm_config::opt_string(cfg, "api_key").value_or("");
    secret_key_ = llm_config::opt_string(cfg, "secret_key").value_or("");
    if (api_key_.empty()) throw EngineConfigError("api_key: missing");
    if (secret_key_.empty()) throw EngineConfigError("secret_key: missing");
    dev_pid_ = llm_config::opt_integer(cfg, "dev_pid", 1).value_or(1537);
    url_ = tts_config::endpoint(cfg, {"endpoint"}, "http://vop.baidu.com/server_api", {"https", "http"});
    token_url_ = tts_config::endpoint(cfg, {"token_url"}, "https://aip.baidubce.com/oauth/2.0/token", {"https", "http"});
    // The device id Baidu counts users by: one per engine.
    cuid_ = "xiaozhi-" + protocol::hex_encode(protocol::random_bytes(8));
  }

  boost::asio::awaitable<AsrResult> recognize(std::vector<std::int16_t> pcm) const override {
    const std::string token = co_await access_token();
    const BaiduRecognizer& self = *this;
    auto build = [&self, &pcm, &token] { return self.body(pcm, token); };
    std::string body = co_await core::offload(http_.pool(), build);
    auto req = http_.request("POST", url_);
    req.headers = {{"Content-Type", "application/json"}};
    req.body = std::move(body);
    auto resp = co_await http_.send(std::move(req), asr_answers::error_message);
    const auto answer = asr_answers::baidu_answer(resp.body);
    if (answer.err_no != 0) {
      // 3302: the token is not (or no longer) valid: the next utterance fetches a new one.
      if (answer.err_no == 3302) forget(token);
      throw std::runtime_error(fmt::format("{}: {}", answer.err_no, answer.err_msg));
    }
    AsrResult r;
    r.text = answer.text;
    co_return r;
  }

 private:
  std::string body(const std::vector<std::int16_t>& pcm, const std::string& token) const {
    const std::string audio = pcm_bytes(pcm);
    const nlohmann::ordered_json j = {{"format", "pcm"},   {"rate", kAsrRate},        {"channel", 1},
                                      {"cuid", cuid_},     {"token", token},          {"dev_pid", dev_pid_},
                                      {"len", audio.size()}, {"speech", protocol::base64_encode(audio)}};
    return j.dump();
  }

  // The cached token, or a new one (a minute before expiry counts as expired).
  boost::asio::awaitable<std::string> access_token() const {
    {
      std::lock_guard lk(mu_);
      if (!token_.empty() && Clock::now() < expires_) co_return token_;
    }
    auto req = http_.request("POST", fmt::format("{}?grant_type=client_credentials&client_id={}&client_secret={}",
                                                 token_url_, protocol::percent_encode(api_key_),
                                                 protocol::percent_encode(secret_key_)));
    req.headers = {{"Accept", "application/json"}};
    auto resp = co_await http_.send(std::move(req), [](std::string_view b) {
      try {
        (void)asr_answers::baidu_token_answer(b);
      } catch (const asr_answers::AnswerError& e) {
        return "token: " + std::string(e.what());
      }
      return "token: " + asr_answers::error_message(b);
    });
    asr_answers::BaiduToken t;
    try {
      t = asr_answers::baidu_token_answer(resp.body);
    } catch (const asr_answers::AnswerError& e) {
      throw std::runtime_error("token: " + std::string(e.what()));
    }
    std::lock_guard lk(mu_);
    token_ = t.access_token;
    const std::int64_t lifetime = t.expires_in > 0 ? t.expires_in : 3600;
    expires_ = Clock::now() + std::chrono::seconds(std::max<std::int64_t>(lifetime - 60, 0));
    co_return token_;
  }

  void forget(const std::string& token) const {
    std::lock_guard lk(mu_);
    if (token_ == token) token_.clear();
  }

  AsrHttp http_;
  std::string api_key_, secret_key_, url_, token_url_, cuid_;
  long long dev_pid_ = 1537;
  mutable std::mutex mu_;  // the token is shared by the sessions of every event loop
  mutable std::string token_;
  mutable Clock::time_point expires_{};
};

}  // namespace

BaiduAsr::BaiduAsr(const EngineConfig& cfg, ProviderContext& ctx)
    : recognizer_((llm_config::require_mapping(cfg), std::make_shared<BaiduRecognizer>(cfg, ctx))),
      max_samples_(max_utterance_samples(cfg)) {}

boost::asio::awaitable<std::unique_ptr<AsrStream>> BaiduAsr::open() {
  co_return make_one_shot_stream(recognizer_, kEngine, max_samples_);
}

}  // namespace xz::providers
