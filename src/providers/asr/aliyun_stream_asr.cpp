#include "providers/asr/aliyun_stream_asr.h"

#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>

#include "providers/asr/nls_transcriber_wire.h"
#include "providers/asr/stream_asr_config.h"
#include "providers/asr/ws_asr_session.h"
#include "providers/llm/llm_config_wire.h"
#include "providers/tts/aliyun_token.h"
#include "providers/tts/aliyun_wire.h"
#include "providers/tts/duplex_config.h"

namespace xz::providers {

using llm_config::opt_string;

namespace {
constexpr const char* kEngine = "aliyun_stream";
constexpr long long kSuccess = 20000000;
}  // namespace

struct AliyunStreamAsr::Settings {
  std::string url;
  nls_transcriber::Params params;
  std::unique_ptr<AliyunTokenSource> tokens;
  WsAsrOptions options;
};

namespace {

class TranscriberCodec : public AsrWireCodec {
 public:
  explicit TranscriberCodec(std::shared_ptr<const AliyunStreamAsr::Settings> s)
      : s_(std::move(s)), task_id_(random_hex_id()) {}

  boost::asio::awaitable<DuplexTarget> target() override {
    DuplexTarget t;
    t.url = s_->url;
    std::string token;
    try {
      token = co_await s_->tokens->token();
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(fmt::format("{}: {}", kEngine, e.what()));
    }
    t.headers.emplace("X-NLS-Token", std::move(token));
    co_return t;
  }
  std::vector<WsOut> start() override {
    return {{false, nls_transcriber::start_transcription(task_id_, random_hex_id(), s_->params)}};
  }
  std::vector<WsOut> audio(std::string_view pcm) override { return {{true, std::string(pcm)}}; }
  std::vector<WsOut> finish() override {
    return {{false, nls_transcriber::stop_transcription(task_id_, random_hex_id(), s_->params.appkey)}};
  }
  std::vector<WsOut> cancel() override { return finish(); }

  std::vector<AsrWireEvent> parse(const net::WsMessage& m) override {
    using K = AsrWireEvent::Kind;
    if (m.binary) throw aliyun::WireError("a binary message");
    const auto e = aliyun::parse_event(m.data);
    if (!e.task_id.empty() && e.task_id != task_id_) return {};  // not this utterance's task
    const auto failed = [&] {
      return AsrWireEvent{K::failed, fmt::format("{} {}: {}", e.name, e.status,
                                                 e.status_text.empty() ? "(no message)" : e.status_text)};
    };
    if (e.name == "TaskFailed") return {failed()};
    if (e.status != 0 && e.status != kSuccess) {
      if (nls_transcriber::ignorable_status(e.status)) return {};
      return {failed()};
    }
    const auto result = [&] {
      auto it = e.payload.is_object() ? e.payload.find("result") : e.payload.end();
      return it != e.payload.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (e.name == "TranscriptionStarted") return {{K::ready, {}}};
    if (e.name == "TranscriptionResultChanged") return {{K::partial, result()}};
    if (e.name == "SentenceEnd") return {{K::sentence, result()}};
    if (e.name == "TranscriptionCompleted") return {{K::finished, {}}};
    return {};  // SentenceBegin and what else the service adds
  }

 private:
  std::shared_ptr<const AliyunStreamAsr::Settings> s_;
  std::string task_id_;
};

}  // namespace

AliyunStreamAsr::AliyunStreamAsr(const EngineConfig& cfg, ProviderContext&) {
  llm_config::require_mapping(cfg);
  auto s = std::make_shared<Settings>();
  const std::string host = opt_string(cfg, "host").value_or("nls-gateway-cn-shanghai.aliyuncs.com");
  const std::string scheme = host.find("-internal.") != std::string::npos ? "ws://" : "wss://";
  s->url = duplex_endpoint(cfg, {}, scheme + host + "/ws/v1");
  s->params.appkey = required_string(cfg, "appkey");
  if (llm_config::find(cfg, "max_sentence_silence"))
    s->params.max_sentence_silence = static_cast<int>(bounded_number(cfg, "max_sentence_silence", 200, 6000, 800));
  s->options = stream_asr_options(cfg, kEngine, s->url);
  s->tokens = std::make_unique<AliyunTokenSource>(cfg, s->options.timeout);
  settings_ = std::move(s);
}

AliyunStreamAsr::~AliyunStreamAsr() = default;

std::size_t AliyunStreamAsr::token_fetches() const { return settings_->tokens->created(); }

boost::asio::awaitable<std::unique_ptr<AsrStream>> AliyunStreamAsr::open() {
  auto ex = co_await boost::asio::this_coro::executor;
  co_return open_ws_asr_stream(ex, settings_->options, std::make_unique<TranscriberCodec>(settings_));
}

}  // namespace xz::providers
