#include "providers/asr/doubao_stream_asr.h"

#include <set>

#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>

#include "providers/asr/sauc_wire.h"
#include "providers/asr/stream_asr_config.h"
#include "providers/asr/ws_asr_session.h"
#include "providers/llm/llm_config_wire.h"
#include "providers/tts/duplex_config.h"

namespace xz::providers {

using llm_config::opt_string;

namespace {
constexpr const char* kEngine = "doubao_stream";
constexpr const char* kAsyncUrl = "wss://openspeech.bytedance.com/api/v3/sauc/bigmodel_async";
constexpr const char* kNostreamUrl = "wss://openspeech.bytedance.com/api/v3/sauc/bigmodel_nostream";
// Payload codes that are not errors: v2's success and "no valid speech", v3's success.
bool benign_code(long long c) { return c == 1000 || c == 1013 || c == 20000000; }
}  // namespace

struct DoubaoStreamAsr::Settings {
  std::string url;
  std::string resource_id;
  bool send_credentials = true;
  sauc::RequestParams params;
  WsAsrOptions options;
};

namespace {

class SaucCodec : public AsrWireCodec {
 public:
  explicit SaucCodec(std::shared_ptr<const DoubaoStreamAsr::Settings> s) : s_(std::move(s)) {}

  boost::asio::awaitable<DuplexTarget> target() override {
    DuplexTarget t;
    t.url = s_->url;
    if (s_->send_credentials)
      t.headers = {{"X-Api-App-Key", s_->params.appid},
                   {"X-Api-Access-Key", s_->params.access_token},
                   {"X-Api-Resource-Id", s_->resource_id},
                   {"X-Api-Connect-Id", random_uuid()}};
    co_return t;
  }
  std::vector<WsOut> start() override {
    return {{true, sauc::encode_full_request(sauc::request_json(s_->params, random_uuid()))}};
  }
  std::vector<WsOut> audio(std::string_view pcm) override { return {{true, sauc::encode_audio(pcm, false)}}; }
  std::vector<WsOut> finish() override { return {{true, sauc::encode_audio("", true)}}; }
  // The service has no cancel message: closing the socket drops the utterance.
  std::vector<WsOut> cancel() override { return {}; }

  std::vector<AsrWireEvent> parse(const net::WsMessage& m) override {
    using K = AsrWireEvent::Kind;
    if (!m.binary) throw sauc::WireError("a text message");
    const sauc::Frame f = sauc::parse_frame(m.data);
    if (f.type == sauc::kErrorResponse) {
      std::string why;
      try {
        auto r = sauc::parse_result(f.payload);
        why = r.error.empty() ? r.message : r.error;
      } catch (const sauc::WireError&) {
      }
      if (why.empty()) why = f.payload.substr(0, 300);
      return {{K::failed, fmt::format("error {}: {}", f.error_code, why)}};
    }
    if (f.type != sauc::kFullServerResponse) return {};
    std::vector<AsrWireEvent> out;
    if (!ready_) {
      ready_ = true;  // the answer to our full client request
      out.push_back({K::ready, {}});
    }
    const sauc::Result r = sauc::parse_result(f.payload);
    if (r.code && !benign_code(*r.code)) {
      const std::string& why = r.error.empty() ? r.message : r.error;
      out.push_back({K::failed, fmt::format("code {}: {}", *r.code, why.empty() ? "(no message)" : why)});
      return out;
    }
    if (!r.error.empty()) {
      out.push_back({K::failed, r.error});
      return out;
    }
    std::string partial;
    for (const auto& u : r.utterances) {
      if (!u.definite) {
        partial = u.text;
        continue;
      }
      // "single" answers repeat nothing, "full" ones do: each definite utterance once.
      const std::string key = u.start_time >= 0 || u.end_time >= 0
                                  ? fmt::format("{}:{}", u.start_time, u.end_time)
                                  : fmt::format("#{}", u.text);
      if (!seen_.insert(key).second) continue;
      if (seen_.size() > 10000) throw sauc::WireError("too many utterances");
      sentences_ = true;
      out.push_back({K::sentence, u.text});
    }
    if (r.utterances.empty()) partial = r.text;
    if (!partial.empty()) out.push_back({K::partial, partial});
    if (f.last()) {
      // A final answer without utterances still carries the text.
      if (!sentences_ && !r.text.empty()) out.push_back({K::sentence, r.text});
      out.push_back({K::finished, {}});
    }
    return out;
  }

 private:
  std::shared_ptr<const DoubaoStreamAsr::Settings> s_;
  bool ready_ = false;
  bool sentences_ = false;
  std::set<std::string> seen_;
};

// The reference's truthiness: anything whose text is not "false".
bool truthy(const EngineConfig& cfg, const char* key) {
  const auto* v = llm_config::find(cfg, key);
  if (!v) return false;
  if (v->is_boolean()) return v->get<bool>();
  std::string s = v->is_string() ? v->get<std::string>() : v->dump();
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s != "false";
}

}  // namespace

DoubaoStreamAsr::DoubaoStreamAsr(const EngineConfig& cfg, ProviderContext&) {
  llm_config::require_mapping(cfg);
  auto s = std::make_shared<Settings>();
  auto& p = s->params;
  p.multilingual = truthy(cfg, "enable_multilingual");
  s->url = duplex_endpoint(cfg, {}, p.multilingual ? kNostreamUrl : kAsyncUrl);
  s->send_credentials = opt_string(cfg, "auth_method").value_or("token") == "token";
  if (s->send_credentials) {
    p.appid = required_string(cfg, "appid");
    p.access_token = required_string(cfg, "access_token");
  } else {
    p.appid = opt_string(cfg, "appid").value_or("");
    p.access_token = opt_string(cfg, "access_token").value_or("");
  }
  s->resource_id = opt_string(cfg, "resource_id").value_or("volc.bigasr.sauc.duration");
  p.language = opt_string(cfg, "language").value_or("");
  p.uid = opt_string(cfg, "uid").value_or(p.uid);
  p.workflow = opt_string(cfg, "workflow").value_or(p.workflow);
  p.result_type = opt_string(cfg, "result_type").value_or(p.result_type);
  p.format = opt_string(cfg, "format").value_or(p.format);
  p.codec = opt_string(cfg, "codec").value_or(p.codec);
  p.boosting_table_name = opt_string(cfg, "boosting_table_name").value_or("");
  p.correct_table_name = opt_string(cfg, "correct_table_name").value_or("");
  p.end_window_size = static_cast<int>(bounded_number(cfg, "end_window_size", 1, 60000, 200));
  s->options = stream_asr_options(cfg, kEngine, s->url);
  settings_ = std::move(s);
}

DoubaoStreamAsr::~DoubaoStreamAsr() = default;

boost::asio::awaitable<std::unique_ptr<AsrStream>> DoubaoStreamAsr::open() {
  auto ex = co_await boost::asio::this_coro::executor;
  co_return open_ws_asr_stream(ex, settings_->options, std::make_unique<SaucCodec>(settings_));
}

}  // namespace xz::providers
