#include "providers/asr/doubao_asr.h"

#include <cmath>

#include <boost/asio/ssl/context.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/async.h"
#include "core/config.h"
#include "net/tls_client.h"
#include "providers/asr/doubao_v2_wire.h"
#include "providers/asr/one_shot_asr.h"
#include "providers/tts/tts_config.h"
#include "providers/tts/vendor_socket.h"
#include "providers/tts/ws_duplex_link.h"

namespace xz::providers {

namespace {

constexpr const char* kEngine = "doubao";
constexpr std::size_t kSegmentBytes = 15 * kAsrRate * 2;  // the reference's 15 s segments
constexpr long long kSuccess = 1000;
constexpr long long kNoSpeech = 1013;

std::chrono::milliseconds seconds_key(const EngineConfig& cfg, const char* key, double fallback) {
  return std::chrono::milliseconds(std::llround(llm_config::opt_positive(cfg, key).value_or(fallback) * 1000));
}

class DoubaoRecognizer : public OneShotRecognizer {
 public:
  DoubaoRecognizer(const EngineConfig& cfg, ProviderContext& ctx) : pool_(&ctx.pool) {
    access_token_ = llm_config::opt_string(cfg, "access_token").value_or("");
    if (access_token_.empty()) throw EngineConfigError("access_token: missing");
    const nlohmann::json* appid = llm_config::find(cfg, "appid");
    if (!appid) throw EngineConfigError("appid: missing");
    appid_ = appid->is_string() ? appid->get<std::string>() : appid->dump();  // f"{appid}"
    cluster_ = llm_config::opt_string(cfg, "cluster").value_or("volcengine_input_common");
    // Optional: the reference's "（选填）..." placeholders mean none, not a table of that name.
    boosting_ = llm_config::opt_string(cfg, "boosting_table_name").value_or("");
    correct_ = llm_config::opt_string(cfg, "correct_table_name").value_or("");
    if (core::is_placeholder(boosting_)) boosting_.clear();
    if (core::is_placeholder(correct_)) correct_.clear();
    url_ = tts_config::endpoint(cfg, {"endpoint"}, "wss://openspeech.bytedance.com/api/v2/asr", {"wss", "ws"});
    answer_timeout_ = seconds_key(cfg, "timeout", 10);
    connect_timeout_ = seconds_key(cfg, "connect_timeout", 10);
    try {
      tls_ = std::make_shared<boost::asio::ssl::context>(
          net::make_tls_client_context(llm_config::opt_string(cfg, "ca_file").value_or(""), "", true));
    } catch (const std::runtime_error& e) {
      throw EngineConfigError(fmt::format("ca_file: {}", e.what()));
    }
  }

  boost::asio::awaitable<AsrResult> recognize(std::vector<std::int16_t> pcm) const override {
    // Compressing a long utterance is real work: on the pool, before the connection opens.
    const DoubaoRecognizer& self = *this;
    auto build = [&self, &pcm] { return self.frames(pcm); };
    std::vector<std::string> frames = co_await core::offload(*pool_, build);

    net::WsClientOptions opts;
    opts.headers = {{"Authorization", "Bearer; " + access_token_}};
    opts.tls_context = tls_;
    std::size_t total = 0;
    for (const auto& f : frames) total += f.size();
    opts.max_queued_bytes = total + 65536;
    VendorConnection ws(co_await connect_vendor(url_, opts, connect_timeout_));

    if (!ws->send_binary(std::move(frames[0]))) throw std::runtime_error("the connection closed before the request");
    auto first = co_await answer(*ws);
    if (first.code != kSuccess && first.code != kNoSpeech)
      throw std::runtime_error(fmt::format("{}: {}", first.code, first.message));
    for (std::size_t i = 1; i < frames.size(); ++i) {
      if (!ws->send_binary(std::move(frames[i]))) throw std::runtime_error("the connection closed while the audio was sent");
    }
    auto last = co_await answer(*ws);
    ws.mark_done();
    if (last.code == kNoSpeech) co_return AsrResult{};
    if (last.code != kSuccess) throw std::runtime_error(fmt::format("{}: {}", last.code, last.message));
    AsrResult r;
    r.text = last.text;
    co_return r;
  }

 private:
  // The request frame, then the audio in 15 s segments, the last one flagged.
  std::vector<std::string> frames(const std::vector<std::int16_t>& pcm) const {
    const nlohmann::ordered_json req = {
        {"app", {{"appid", appid_}, {"cluster", cluster_}, {"token", access_token_}}},
        {"user", {{"uid", random_uuid()}}},
        {"request",
         {{"reqid", random_uuid()},
          {"show_utterances", false},
          {"sequence", 1},
          {"boosting_table_name", boosting_},
          {"correct_table_name", correct_}}},
        {"audio", {{"format", "raw"}, {"rate", kAsrRate}, {"language", "zh-CN"}, {"bits", 16}, {"channel", 1}, {"codec", "raw"}}}};
    std::vector<std::string> out;
    out.push_back(doubao_v2::encode_full_request(req.dump()));
    const std::string audio = pcm_bytes(pcm);
    std::size_t at = 0;
    while (at + kSegmentBytes < audio.size()) {
      out.push_back(doubao_v2::encode_audio(std::string_view(audio).substr(at, kSegmentBytes), false));
      at += kSegmentBytes;
    }
    out.push_back(doubao_v2::encode_audio(std::string_view(audio).substr(at), true));
    return out;
  }

  // The next server frame's answer; an error frame throws with its code and message.
  boost::asio::awaitable<doubao_v2::Answer> answer(net::WebSocket& ws) const {
    for (;;) {
      auto msg = co_await next_vendor_message(ws, answer_timeout_);
      if (!msg.binary) throw std::runtime_error("a text message where a binary frame was expected");
      const auto f = doubao_v2::parse_frame(msg.data);
      if (f.type == doubao_v2::kError) {
        std::string why = f.payload;
        try {
          const auto a = doubao_v2::parse_answer(f.payload);
          why = a.message.empty() ? f.payload : a.message;
        } catch (const doubao_v2::WireError&) {
        }
        throw std::runtime_error(fmt::format("error {}: {}", f.error_code, llm_config::shorten(why)));
      }
      if (f.type == doubao_v2::kServerAck && f.payload.empty()) continue;
      if (f.type != doubao_v2::kFullResponse && f.type != doubao_v2::kServerAck)
        throw std::runtime_error(fmt::format("unexpected message type {}", f.type));
      co_return doubao_v2::parse_answer(f.payload);
    }
  }

  boost::asio::thread_pool* pool_;
  std::string access_token_, appid_, cluster_, boosting_, correct_, url_;
  std::chrono::milliseconds answer_timeout_{10000}, connect_timeout_{10000};
  std::shared_ptr<boost::asio::ssl::context> tls_;
};

}  // namespace

DoubaoAsr::DoubaoAsr(const EngineConfig& cfg, ProviderContext& ctx)
    : recognizer_((llm_config::require_mapping(cfg), std::make_shared<DoubaoRecognizer>(cfg, ctx))),
      max_samples_(max_utterance_samples(cfg)) {}

boost::asio::awaitable<std::unique_ptr<AsrStream>> DoubaoAsr::open() {
  co_return make_one_shot_stream(recognizer_, kEngine, max_samples_);
}

}  // namespace xz::providers
