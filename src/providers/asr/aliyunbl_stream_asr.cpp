#include "providers/asr/aliyunbl_stream_asr.h"

#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>

#include "providers/asr/paraformer_wire.h"
#include "providers/asr/stream_asr_config.h"
#include "providers/asr/ws_asr_session.h"
#include "providers/llm/llm_config_wire.h"
#include "providers/tts/dashscope_wire.h"
#include "providers/tts/duplex_config.h"

namespace xz::providers {

using llm_config::opt_bool;
using llm_config::opt_string;

namespace {
constexpr const char* kEngine = "aliyunbl_stream";
constexpr const char* kDefaultUrl = "wss://dashscope.aliyuncs.com/api-ws/v1/inference";
}  // namespace

struct AliyunBlStreamAsr::Settings {
  std::string url;
  std::string api_key;
  paraformer::Params params;
  WsAsrOptions options;
};

namespace {

class ParaformerCodec : public AsrWireCodec {
 public:
  explicit ParaformerCodec(std::shared_ptr<const AliyunBlStreamAsr::Settings> s)
      : s_(std::move(s)), task_id_(random_hex_id()) {}

  boost::asio::awaitable<DuplexTarget> target() override {
    DuplexTarget t;
    t.url = s_->url;
    t.headers = {{"Authorization", "Bearer " + s_->api_key}};
    co_return t;
  }
  std::vector<WsOut> start() override { return {{false, paraformer::run_task(task_id_, s_->params)}}; }
  std::vector<WsOut> audio(std::string_view pcm) override { return {{true, std::string(pcm)}}; }
  std::vector<WsOut> finish() override { return {{false, dashscope::finish_task(task_id_)}}; }
  std::vector<WsOut> cancel() override { return finish(); }

  std::vector<AsrWireEvent> parse(const net::WsMessage& m) override {
    using K = AsrWireEvent::Kind;
    if (m.binary) throw dashscope::WireError("a binary message");
    const auto msg = dashscope::parse_message(m.data);
    if (!msg.task_id.empty() && msg.task_id != task_id_) return {};  // not this utterance's task
    if (msg.event == "task-started") return {{K::ready, {}}};
    if (msg.event == "task-finished") return {{K::finished, {}}};
    if (msg.event == "task-failed")
      return {{K::failed, fmt::format("task-failed {}: {}", msg.error_code.empty() ? "(no code)" : msg.error_code,
                                      msg.error_message.empty() ? "(no message)" : msg.error_message)}};
    if (msg.event != "result-generated") return {};
    auto s = paraformer::sentence_of(msg.payload);
    if (!s || s->heartbeat) return {};
    return {{s->final ? K::sentence : K::partial, s->text}};
  }

 private:
  std::shared_ptr<const AliyunBlStreamAsr::Settings> s_;
  std::string task_id_;
};

}  // namespace

AliyunBlStreamAsr::AliyunBlStreamAsr(const EngineConfig& cfg, ProviderContext&) {
  llm_config::require_mapping(cfg);
  auto s = std::make_shared<Settings>();
  auto& p = s->params;
  s->url = duplex_endpoint(cfg, {}, kDefaultUrl);
  s->api_key = required_string(cfg, "api_key");
  p.model = opt_string(cfg, "model").value_or(p.model);
  p.format = opt_string(cfg, "format").value_or(p.format);
  if (p.format != "pcm") throw EngineConfigError("format: only pcm (the pipeline sends raw 16 kHz PCM)");
  if (bounded_number(cfg, "sample_rate", 8000, 48000, 16000) != 16000)
    throw EngineConfigError("sample_rate: only 16000 (the pipeline's rate)");
  p.vocabulary_id = opt_string(cfg, "vocabulary_id");
  if (const auto* h = llm_config::find(cfg, "language_hints")) {
    if (h->is_string())
      p.language_hints = nlohmann::json::array({h->get<std::string>()});
    else if (h->is_array())
      p.language_hints = *h;
    else
      throw EngineConfigError("language_hints: not a list of language codes");
  }
  p.disfluency_removal_enabled = opt_bool(cfg, "disfluency_removal_enabled").value_or(false);
  p.semantic_punctuation_enabled = opt_bool(cfg, "semantic_punctuation_enabled").value_or(false);
  p.max_sentence_silence = static_cast<int>(bounded_number(cfg, "max_sentence_silence", 200, 6000, 200));
  p.multi_threshold_mode_enabled = opt_bool(cfg, "multi_threshold_mode_enabled").value_or(false);
  p.punctuation_prediction_enabled = opt_bool(cfg, "punctuation_prediction_enabled").value_or(true);
  p.inverse_text_normalization_enabled = opt_bool(cfg, "inverse_text_normalization_enabled").value_or(true);
  s->options = stream_asr_options(cfg, kEngine, s->url);
  settings_ = std::move(s);
}

AliyunBlStreamAsr::~AliyunBlStreamAsr() = default;

boost::asio::awaitable<std::unique_ptr<AsrStream>> AliyunBlStreamAsr::open() {
  auto ex = co_await boost::asio::this_coro::executor;
  co_return open_ws_asr_stream(ex, settings_->options, std::make_unique<ParaformerCodec>(settings_));
}

}  // namespace xz::providers
