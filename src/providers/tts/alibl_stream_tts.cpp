#include "providers/tts/alibl_stream_tts.h"

#include <fmt/format.h>

#include "providers/llm/llm_config_wire.h"
#include "providers/tts/dashscope_wire.h"
#include "providers/tts/duplex_config.h"
#include "providers/tts/ws_duplex_link.h"

namespace xz::providers {

using llm_config::opt_number;
using llm_config::opt_string;

namespace {
constexpr const char* kEngine = "alibl_stream";
}  // namespace

struct AliBlStreamTts::Settings {
  std::string url;
  std::string api_key;
  dashscope::TtsParams params;
  DuplexOptions options;
};

namespace {

class AliBlProtocol : public DuplexProtocol {
 public:
  explicit AliBlProtocol(std::shared_ptr<const AliBlStreamTts::Settings> s) : s_(std::move(s)) {}

  boost::asio::awaitable<DuplexTarget> target() override {
    DuplexTarget t;
    t.url = s_->url;
    t.headers = {{"Authorization", "Bearer " + s_->api_key}, {"X-DashScope-DataInspection", "enable"}};
    co_return t;
  }
  std::vector<WsOut> start(const std::string& session) override {
    return {{false, dashscope::run_task(session, s_->params)}};
  }
  std::vector<WsOut> text(const std::string& session, const std::string& fragment) override {
    return {{false, dashscope::continue_task(session, fragment)}};
  }
  std::vector<WsOut> finish(const std::string& session) override { return {{false, dashscope::finish_task(session)}}; }
  // No cancel in the protocol: finish-task, and the rest of its audio is dropped.
  std::vector<WsOut> cancel(const std::string& session) override { return finish(session); }

  std::vector<DuplexEvent> parse(const net::WsMessage& m) override {
    DuplexEvent ev;
    using K = DuplexEvent::Kind;
    if (m.binary) return {pcm_event(m.data, s_->params.sample_rate)};
    auto msg = dashscope::parse_message(m.data);
    ev.session = msg.task_id;
    if (msg.event == "task-started") {
      ev.kind = K::started;
    } else if (msg.event == "task-finished") {
      ev.kind = K::finished;
    } else if (msg.event == "task-failed") {
      ev.kind = K::failed;
      ev.text = fmt::format("task-failed {}: {}", msg.error_code, llm_config::shorten(msg.error_message));
      ev.close_connection = true;  // the reference closes the socket too
    }
    return {ev};
  }

 private:
  std::shared_ptr<const AliBlStreamTts::Settings> s_;
};


}  // namespace

AliBlStreamTts::AliBlStreamTts(const EngineConfig& cfg, ProviderContext& /*ctx*/) {
  auto s = std::make_shared<Settings>();
  s->url = duplex_endpoint(cfg, {"ws_url"}, "wss://dashscope.aliyuncs.com/api-ws/v1/inference/");
  s->api_key = required_string(cfg, "api_key");
  s->params.model = opt_string(cfg, "model").value_or("cosyvoice-v2");
  s->params.voice = opt_string(cfg, "private_voice").value_or(opt_string(cfg, "voice").value_or("longxiaochun_v2"));
  if (auto f = opt_string(cfg, "format"); f && *f != "pcm")
    throw EngineConfigError(fmt::format("format: '{}' is not supported (pcm)", *f));
  s->params.volume = static_cast<int>(bounded_number(cfg, "volume", 0, 100, 50));
  s->params.rate = bounded_number(cfg, "rate", 0.5, 2.0, 1.0);
  s->params.pitch = bounded_number(cfg, "pitch", 0.5, 2.0, 1.0);
  s->options = duplex_options(cfg, kEngine, s->url, 60.0);
  s->options.text_after_started = true;  // DashScope refuses continue-task before task-started
  settings_ = std::move(s);
}

AliBlStreamTts::~AliBlStreamTts() = default;

boost::asio::awaitable<void> AliBlStreamTts::synthesize(TtsRequest req, PcmSink sink) {
  co_await synthesize_over_stream(*this, std::move(req), std::move(sink));
}

std::unique_ptr<TtsStreamLink> AliBlStreamTts::open_stream_link(boost::asio::any_io_executor ex) {
  return std::make_unique<WsDuplexLink>(std::move(ex), settings_->options, std::make_unique<AliBlProtocol>(settings_));
}

}  // namespace xz::providers
