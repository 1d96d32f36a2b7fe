#include "providers/tts/xunfei_stream_tts.h"

#include <ctime>

#include <fmt/format.h>

#include "providers/llm/llm_config_wire.h"
#include "providers/tts/duplex_config.h"
#include "providers/tts/ws_duplex_link.h"
#include "providers/tts/xunfei_wire.h"

namespace xz::providers {

using llm_config::opt_number;
using llm_config::opt_string;

namespace {
constexpr const char* kEngine = "xunfei_stream";
}  // namespace

struct XunfeiStreamTts::Settings {
  std::string url;
  std::string api_key, api_secret;
  xunfei::TtsParams params;
  DuplexOptions options;
};

namespace {

class XunfeiProtocol : public DuplexProtocol {
 public:
  explicit XunfeiProtocol(std::shared_ptr<const XunfeiStreamTts::Settings> s) : s_(std::move(s)) {}

  boost::asio::awaitable<DuplexTarget> target() override {
    DuplexTarget t;
    t.url = xunfei::sign_url(s_->url, s_->api_key, s_->api_secret, xunfei::http_date(std::time(nullptr))).url;
    co_return t;
  }
  std::vector<WsOut> start(const std::string&) override {
    seq_ = 1;
    return {{false, xunfei::request(0, seq_, " ", s_->params)}};
  }
  std::vector<WsOut> text(const std::string&, const std::string& fragment) override {
    return {{false, xunfei::request(1, ++seq_, fragment, s_->params)}};
  }
  std::vector<WsOut> finish(const std::string&) override {
    return {{false, xunfei::request(2, ++seq_, " ", s_->params)}};
  }
  std::vector<WsOut> cancel(const std::string&) override { return {}; }  // no cancel: the connection goes

  std::vector<DuplexEvent> parse(const net::WsMessage& m) override {
    if (m.binary) throw xunfei::WireError("a binary message on a JSON protocol");
    auto f = xunfei::parse_server_frame(m.data);
    using K = DuplexEvent::Kind;
    std::vector<DuplexEvent> out;
    if (f.code != 0) {
      DuplexEvent ev;
      ev.kind = K::failed;
      ev.text = fmt::format("error {}: {}", f.code, llm_config::shorten(f.message));
      ev.close_connection = true;
      out.push_back(std::move(ev));
      return out;
    }
    if (!f.audio_status) return out;
    if (!f.audio.empty()) {
      DuplexEvent ev;
      ev.kind = K::audio;
      ev.audio = std::move(f.audio);
      ev.sample_rate = f.sample_rate > 0 ? f.sample_rate : s_->params.sample_rate;
      out.push_back(std::move(ev));
    }
    if (*f.audio_status == 2 || f.status == 2) {
      DuplexEvent ev;
      ev.kind = K::finished;  // the service closes the connection next
      out.push_back(std::move(ev));
    }
    return out;
  }

 private:
  std::shared_ptr<const XunfeiStreamTts::Settings> s_;
  int seq_ = 0;
};


}  // namespace

XunfeiStreamTts::XunfeiStreamTts(const EngineConfig& cfg, ProviderContext& /*ctx*/) {
  auto s = std::make_shared<Settings>();
  s->url = duplex_endpoint(cfg, {"api_url"}, "wss://cbm01.cn-huabei-1.xf-yun.com/v1/private/mcd9m97e6");
  s->params.app_id = required_string(cfg, "app_id");
  s->api_key = required_string(cfg, "api_key");
  s->api_secret = required_string(cfg, "api_secret");
  s->params.voice =
      opt_string(cfg, "private_voice").value_or(opt_string(cfg, "voice").value_or("x5_lingxiaoxuan_flow"));
  s->params.speed = static_cast<int>(bounded_number(cfg, "speed", 0, 100, 50));
  s->params.volume = static_cast<int>(bounded_number(cfg, "volume", 0, 100, 50));
  s->params.pitch = static_cast<int>(bounded_number(cfg, "pitch", 0, 100, 50));
  if (auto f = opt_string(cfg, "format"); f && *f != "raw")
    throw EngineConfigError(fmt::format("format: '{}' is not supported (raw)", *f));
  s->params.oral_level = opt_string(cfg, "oral_level").value_or("mid");
  s->params.spark_assist = static_cast<int>(bounded_number(cfg, "spark_assist", 0, 1, 1));
  s->params.stop_split = static_cast<int>(bounded_number(cfg, "stop_split", 0, 1, 0));
  s->params.remain = static_cast<int>(bounded_number(cfg, "remain", 0, 1, 0));
  s->options = duplex_options(cfg, kEngine, s->url, 0.0);
  s->options.reuse_idle = std::chrono::milliseconds(0);  // a connection per reply, as the service wants
  settings_ = std::move(s);
}

XunfeiStreamTts::~XunfeiStreamTts() = default;

boost::asio::awaitable<void> XunfeiStreamTts::synthesize(TtsRequest req, PcmSink sink) {
  co_await synthesize_over_stream(*this, std::move(req), std::move(sink));
}

std::unique_ptr<TtsStreamLink> XunfeiStreamTts::open_stream_link(boost::asio::any_io_executor ex) {
  return std::make_unique<WsDuplexLink>(std::move(ex), settings_->options, std::make_unique<XunfeiProtocol>(settings_));
}

}  // namespace xz::providers
