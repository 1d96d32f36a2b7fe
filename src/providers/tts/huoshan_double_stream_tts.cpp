#include "providers/tts/huoshan_double_stream_tts.h"

#include <fmt/format.h>

#include "protocol/json_text.h"
#include "providers/llm/llm_config_wire.h"
#include "providers/tts/duplex_config.h"
#include "providers/tts/huoshan_wire.h"
#include "providers/tts/ws_duplex_link.h"

namespace xz::providers {

using llm_config::opt_bool;
using llm_config::opt_string;
using ojson = nlohmann::ordered_json;

struct HuoshanDoubleStreamTts::Settings {
  std::string url;
  std::string appid;
  std::string access_token;
  std::string resource_id;
  bool reuse = true;
  huoshan::SessionParams params;
  DuplexOptions options;
};

namespace {

constexpr const char* kEngine = "huoshan_double_stream";

ojson ordered(const nlohmann::json& j) { return ojson::parse(j.dump()); }

// `over` merged into `base` key by key (the reference's dict.update), base's order kept.
ojson merged(ojson base, const nlohmann::json& over, const char* key) {
  if (over.is_null()) return base;
  nlohmann::json obj = over;
  if (over.is_string()) obj = protocol::parse_json_text(over.get<std::string>());
  if (!obj.is_object()) throw EngineConfigError(fmt::format("{}: not a mapping", key));
  for (auto it = obj.begin(); it != obj.end(); ++it) base[it.key()] = ordered(it.value());
  return base;
}

class HuoshanProtocol : public DuplexProtocol {
 public:
  explicit HuoshanProtocol(std::shared_ptr<const HuoshanDoubleStreamTts::Settings> s) : s_(std::move(s)) {}

  boost::asio::awaitable<DuplexTarget> target() override {
    DuplexTarget t;
    t.url = s_->url;
    t.headers = {{"X-Api-App-Key", s_->appid},
                 {"X-Api-Access-Key", s_->access_token},
                 {"X-Api-Resource-Id", s_->resource_id},
                 {"X-Api-Connect-Id", random_uuid()}};
    co_return t;
  }
  std::vector<WsOut> start(const std::string& session) override {
    return {frame(huoshan::kStartSession, session, huoshan::request_payload(huoshan::kStartSession, "", s_->params))};
  }
  std::vector<WsOut> text(const std::string& session, const std::string& fragment) override {
    return {frame(huoshan::kTaskRequest, session, huoshan::request_payload(huoshan::kTaskRequest, fragment, s_->params))};
  }
  std::vector<WsOut> finish(const std::string& session) override {
    return {frame(huoshan::kFinishSession, session, "{}")};
  }
  std::vector<WsOut> cancel(const std::string& session) override {
    if (!s_->reuse) return {};  // the connection goes (FinishConnection first, as the reference)
    return {frame(huoshan::kCancelSession, session, "{}")};
  }
  std::vector<WsOut> goodbye() override { return {frame(huoshan::kFinishConnection, "", "{}")}; }

  std::vector<DuplexEvent> parse(const net::WsMessage& m) override {
    if (!m.binary) throw huoshan::WireError("a text message on a binary protocol");
    huoshan::Frame f = huoshan::parse_frame(m.data);
    DuplexEvent ev;
    ev.session = f.id;
    using K = DuplexEvent::Kind;
    if (f.kind == huoshan::FrameKind::error) {
      ev.session.clear();
      ev.kind = K::failed;
      ev.text = fmt::format("error frame {}: {}", f.error_code, huoshan::describe_payload(f.payload));
      ev.close_connection = true;
      return {ev};
    }
    if (f.kind == huoshan::FrameKind::audio) {
      if (f.event != huoshan::kTtsResponse) return {ev};
      ev.kind = K::audio;
      ev.audio = std::move(f.payload);
      ev.sample_rate = s_->params.sample_rate;
      return {ev};
    }
    switch (f.event) {
      case huoshan::kSessionStarted:
        ev.kind = K::started;
        break;
      case huoshan::kTtsSentenceStart: {
        ev.kind = K::sentence;
        auto j = protocol::parse_json_text(f.payload);
        if (j.is_object()) ev.text = wire::string_at(j, "text");
        break;
      }
      case huoshan::kSessionFinished: {
        auto j = protocol::parse_json_text(f.payload);
        const auto code = j.is_object() && j.contains("status_code") && j["status_code"].is_number_integer()
                              ? j["status_code"].get<long long>()
                              : 20000000;
        ev.kind = code == 20000000 ? K::finished : K::failed;
        if (ev.kind == K::failed) ev.text = "session finished with " + huoshan::describe_payload(f.payload);
        break;
      }
      case huoshan::kSessionCanceled:
        ev.kind = K::finished;
        break;
      case huoshan::kSessionFailed:
        ev.kind = K::failed;
        ev.text = "session failed: " + huoshan::describe_payload(f.payload);
        break;
      case huoshan::kConnectionFailed:
        ev.session.clear();
        ev.kind = K::failed;
        ev.text = "connection failed: " + huoshan::describe_payload(f.payload);
        ev.close_connection = true;
        break;
      case huoshan::kConnectionFinished:
        ev.session.clear();
        ev.kind = K::closed;
        ev.text = "the vendor finished the connection mid-reply";
        break;
      default:  // 50, 351, usage, subtitles: nothing for the reply
        break;
    }
    return {ev};
  }

 private:
  static WsOut frame(std::int32_t event, const std::string& session, const std::string& payload) {
    return {true, huoshan::encode_request(event, session, payload)};
  }
  std::shared_ptr<const HuoshanDoubleStreamTts::Settings> s_;
};

}  // namespace

HuoshanDoubleStreamTts::HuoshanDoubleStreamTts(const EngineConfig& cfg, ProviderContext& /*ctx*/) {
  auto s = std::make_shared<Settings>();
  s->url = duplex_endpoint(cfg, {"ws_url"}, "wss://openspeech.bytedance.com/api/v3/tts/bidirection");
  s->appid = required_string(cfg, "appid");
  s->access_token = required_string(cfg, "access_token");
  s->resource_id = opt_string(cfg, "resource_id").value_or("volc.service_type.10029");
  s->params.speaker =
      opt_string(cfg, "private_voice").value_or(opt_string(cfg, "speaker").value_or("zh_female_wanwanxiaohe_moon_bigtts"));
  s->reuse = opt_bool(cfg, "enable_ws_reuse").value_or(true);
  s->params.audio_params = merged(ojson{{"speech_rate", 0}, {"loudness_rate", 0}}, cfg.value("audio_params", nlohmann::json()),
                                  "audio_params");
  s->params.additions = merged(ojson{{"aigc_metadata", ojson::object()},
                                     {"cache_config", ojson::object()},
                                     {"post_process", ojson{{"pitch", 0}}}},
                               cfg.value("additions", nlohmann::json()), "additions");
  s->params.mix_speaker = merged(ojson::object(), cfg.value("mix_speaker", nlohmann::json()), "mix_speaker");
  s->options = duplex_options(cfg, kEngine, s->url, s->reuse ? 60.0 : 0.0);
  if (!s->reuse) s->options.reuse_idle = std::chrono::milliseconds(0);
  settings_ = std::move(s);
}

HuoshanDoubleStreamTts::~HuoshanDoubleStreamTts() = default;

boost::asio::awaitable<void> HuoshanDoubleStreamTts::synthesize(TtsRequest req, PcmSink sink) {
  co_await synthesize_over_stream(*this, std::move(req), std::move(sink));
}

std::unique_ptr<TtsStreamLink> HuoshanDoubleStreamTts::open_stream_link(boost::asio::any_io_executor ex) {
  return std::make_unique<WsDuplexLink>(std::move(ex), settings_->options, std::make_unique<HuoshanProtocol>(settings_));
}

}  // namespace xz::providers
