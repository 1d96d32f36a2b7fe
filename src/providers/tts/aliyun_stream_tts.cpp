#include "providers/tts/aliyun_stream_tts.h"

#include <chrono>

#include <fmt/format.h>

#include "providers/llm/llm_config_wire.h"
#include "providers/tts/aliyun_token.h"
#include "providers/tts/aliyun_wire.h"
#include "providers/tts/duplex_config.h"
#include "providers/tts/ws_duplex_link.h"

namespace xz::providers {

using llm_config::opt_number;
using llm_config::opt_string;

namespace {
constexpr const char* kEngine = "aliyun_stream";
}  // namespace

struct AliyunStreamTts::Settings {
  std::string url;
  aliyun::SynthesisParams params;
  DuplexOptions options;
  std::unique_ptr<AliyunTokenSource> tokens;  // shared by every session of this engine
};

namespace {

class AliyunProtocol : public DuplexProtocol {
 public:
  explicit AliyunProtocol(std::shared_ptr<AliyunStreamTts::Settings> s) : s_(std::move(s)) {}

  boost::asio::awaitable<DuplexTarget> target() override {
    std::string token;
    try {
      token = co_await s_->tokens->token();
    } catch (const std::runtime_error& e) {
      throw TtsStreamError(fmt::format("{}: {}", kEngine, e.what()));
    }
    DuplexTarget t;
    t.url = s_->url;
    t.headers.emplace("X-NLS-Token", std::move(token));
    co_return t;
  }
  std::vector<WsOut> start(const std::string& session) override {
    return {{false, aliyun::start_synthesis(session, random_hex_id(), s_->params)}};
  }
  std::vector<WsOut> text(const std::string& session, const std::string& fragment) override {
    return {{false, aliyun::run_synthesis(session, random_hex_id(), s_->params.appkey, fragment)}};
  }
  std::vector<WsOut> finish(const std::string& session) override {
    return {{false, aliyun::stop_synthesis(session, random_hex_id(), s_->params.appkey)}};
  }
  // The service has no cancel: StopSynthesis, and its late audio is dropped.
  std::vector<WsOut> cancel(const std::string& session) override { return finish(session); }

  std::vector<DuplexEvent> parse(const net::WsMessage& m) override {
    DuplexEvent ev;
    using K = DuplexEvent::Kind;
    if (m.binary) return {pcm_event(m.data, s_->params.sample_rate)};
    auto e = aliyun::parse_event(m.data);
    ev.session = e.task_id;
    if (e.name == "SynthesisStarted") {
      ev.kind = K::started;
    } else if (e.name == "SentenceBegin") {
      ev.kind = K::sentence;
    } else if (e.name == "SynthesisCompleted") {
      ev.kind = K::finished;
    } else if (e.name == "TaskFailed") {
      ev.kind = K::failed;
      ev.text = fmt::format("TaskFailed {}: {}", e.status, llm_config::shorten(e.status_text));
      ev.close_connection = true;  // the gateway ends the connection after a failed task
    }
    return {ev};
  }

 private:
  std::shared_ptr<AliyunStreamTts::Settings> s_;
};


}  // namespace

AliyunStreamTts::AliyunStreamTts(const EngineConfig& cfg, ProviderContext& /*ctx*/) {
  llm_config::require_mapping(cfg);
  auto s = std::make_shared<Settings>();
  const std::string host = opt_string(cfg, "host").value_or("nls-gateway-cn-beijing.aliyuncs.com");
  const std::string scheme = host.find("-internal.") != std::string::npos ? "ws://" : "wss://";
  s->url = duplex_endpoint(cfg, {}, scheme + host + "/ws/v1");
  s->params.appkey = required_string(cfg, "appkey");
  s->params.voice = opt_string(cfg, "private_voice").value_or(opt_string(cfg, "voice").value_or("longxiaochun"));
  // The reference's sample has "longxiaochun " with a trailing space.
  while (!s->params.voice.empty() && s->params.voice.back() == ' ') s->params.voice.pop_back();
  if (auto f = opt_string(cfg, "format"); f && *f != "pcm")
    throw EngineConfigError(fmt::format("format: '{}' is not supported (pcm)", *f));
  s->params.volume = static_cast<int>(bounded_number(cfg, "volume", 0, 100, 50));
  s->params.speech_rate = static_cast<int>(bounded_number(cfg, "speech_rate", -500, 500, 0));
  s->params.pitch_rate = static_cast<int>(bounded_number(cfg, "pitch_rate", -500, 500, 0));
  s->options = duplex_options(cfg, kEngine, s->url, 10.0);
  s->tokens = std::make_unique<AliyunTokenSource>(cfg, s->options.timeout);
  settings_ = std::move(s);
}

AliyunStreamTts::~AliyunStreamTts() = default;

boost::asio::awaitable<void> AliyunStreamTts::synthesize(TtsRequest req, PcmSink sink) {
  co_await synthesize_over_stream(*this, std::move(req), std::move(sink));
}

std::unique_ptr<TtsStreamLink> AliyunStreamTts::open_stream_link(boost::asio::any_io_executor ex) {
  return std::make_unique<WsDuplexLink>(std::move(ex), settings_->options, std::make_unique<AliyunProtocol>(settings_));
}

}  // namespace xz::providers
