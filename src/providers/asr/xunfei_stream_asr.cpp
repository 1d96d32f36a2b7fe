#include "providers/asr/xunfei_stream_asr.h"

#include <ctime>

#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>

#include "providers/asr/stream_asr_config.h"
#include "providers/asr/ws_asr_session.h"
#include "providers/asr/xunfei_iat_wire.h"
#include "providers/llm/llm_config_wire.h"
#include "providers/tts/duplex_config.h"
#include "providers/tts/xunfei_wire.h"

namespace xz::providers {

using llm_config::opt_string;

namespace {
constexpr const char* kEngine = "xunfei_stream";
constexpr const char* kDefaultUrl = "wss://iat.cn-huabei-1.xf-yun.com/v1";
}  // namespace

struct XunfeiStreamAsr::Settings {
  std::string url;
  std::string api_key, api_secret;
  xunfei_iat::Params params;
  WsAsrOptions options;
};

namespace {

class IatCodec : public AsrWireCodec {
 public:
  explicit IatCodec(std::shared_ptr<const XunfeiStreamAsr::Settings> s) : s_(std::move(s)) {}

  boost::asio::awaitable<DuplexTarget> target() override {
    DuplexTarget t;
    t.url = xunfei::sign_url(s_->url, s_->api_key, s_->api_secret, xunfei::http_date(std::time(nullptr))).url;
    co_return t;
  }
  // The first audio frame opens the session; the vendor acknowledges nothing before results.
  std::vector<WsOut> start() override { return {}; }
  bool audio_waits_for_ready() const override { return false; }
  std::vector<WsOut> audio(std::string_view pcm) override {
    const int status = first_ ? 0 : 1;
    first_ = false;
    return {{false, xunfei_iat::client_frame(status, pcm, s_->params)}};
  }
  std::vector<WsOut> finish() override {
    std::vector<WsOut> out;
    if (first_) out = audio("");  // a session must start with status 0
    out.push_back({false, xunfei_iat::client_frame(2, "", s_->params)});
    return out;
  }
  std::vector<WsOut> cancel() override { return {}; }

  std::vector<AsrWireEvent> parse(const net::WsMessage& m) override {
    using K = AsrWireEvent::Kind;
    if (m.binary) throw xunfei_iat::WireError("a binary message");
    const auto f = xunfei_iat::parse_server_frame(m.data);
    if (f.code != 0)
      return {{K::failed, fmt::format("code {}: {}", f.code, f.message.empty() ? "(no message)" : f.message)}};
    std::vector<AsrWireEvent> out;
    // Append-only results: each is final for its words.
    if (!f.text.empty()) out.push_back({K::sentence, f.text});
    if (f.last) out.push_back({K::finished, {}});
    return out;
  }

 private:
  std::shared_ptr<const XunfeiStreamAsr::Settings> s_;
  bool first_ = true;
};

}  // namespace

XunfeiStreamAsr::XunfeiStreamAsr(const EngineConfig& cfg, ProviderContext&) {
  llm_config::require_mapping(cfg);
  auto s = std::make_shared<Settings>();
  s->url = duplex_endpoint(cfg, {}, kDefaultUrl);
  s->params.app_id = required_string(cfg, "app_id");
  s->api_key = required_string(cfg, "api_key");
  s->api_secret = required_string(cfg, "api_secret");
  s->params.domain = opt_string(cfg, "domain").value_or(s->params.domain);
  s->params.language = opt_string(cfg, "language").value_or(s->params.language);
  s->params.accent = opt_string(cfg, "accent").value_or(s->params.accent);
  if (llm_config::find(cfg, "eos")) s->params.eos_ms = static_cast<int>(bounded_number(cfg, "eos", 100, 600000, 0));
  s->options = stream_asr_options(cfg, kEngine, s->url);
  settings_ = std::move(s);
}

XunfeiStreamAsr::~XunfeiStreamAsr() = default;

boost::asio::awaitable<std::unique_ptr<AsrStream>> XunfeiStreamAsr::open() {
  auto ex = co_await boost::asio::this_coro::executor;
  co_return open_ws_asr_stream(ex, settings_->options, std::make_unique<IatCodec>(settings_));
}

}  // namespace xz::providers
