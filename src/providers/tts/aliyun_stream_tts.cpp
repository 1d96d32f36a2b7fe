#include "providers/tts/aliyun_stream_tts.h"

#include <chrono>
#include <ctime>
#include <mutex>

#include <fmt/format.h>

#include "net/http_client.h"
#include "providers/llm/llm_config_wire.h"
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
  std::string token;  // static
  std::string key_id, key_secret;
  std::string token_url;
  aliyun::SynthesisParams params;
  DuplexOptions options;
  std::unique_ptr<net::HttpClient> http;
  // The CreateToken token, shared by every session of this engine.
  std::mutex mu;
  std::optional<aliyun::Token> cached;

  boost::asio::awaitable<std::string> current_token() {
    if (key_id.empty()) co_return token;
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    {
      std::lock_guard lk(mu);
      if (cached && now < cached->expire_time - 60) co_return cached->id;
    }
    char stamp[32];
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    aliyun::TokenRequest r{key_id, key_secret, random_uuid(), stamp};
    net::HttpClientRequest req;
    req.method = "GET";
    req.url = aliyun::token_url(token_url, r);
    req.total_timeout = options.timeout;
    req.connect_timeout = std::min(req.connect_timeout, options.timeout);
    auto resp = co_await http->request(std::move(req));
    if (!resp.ok()) {
      std::string why;
      try {
        (void)aliyun::parse_token_answer(resp.body);
      } catch (const std::exception& e) {
        why = e.what();
      }
      throw TtsStreamError(fmt::format("{}: CreateToken HTTP {}: {}", kEngine, resp.status, why));
    }
    aliyun::Token tok;
    try {
      tok = aliyun::parse_token_answer(resp.body);
    } catch (const std::exception& e) {
      throw TtsStreamError(fmt::format("{}: {}", kEngine, e.what()));
    }
    std::lock_guard lk(mu);
    cached = tok;
    co_return tok.id;
  }
};

namespace {

class AliyunProtocol : public DuplexProtocol {
 public:
  explicit AliyunProtocol(std::shared_ptr<AliyunStreamTts::Settings> s) : s_(std::move(s)) {}

  boost::asio::awaitable<DuplexTarget> target() override {
    std::string token = co_await s_->current_token();
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
  s->key_id = opt_string(cfg, "access_key_id").value_or("");
  s->key_secret = opt_string(cfg, "access_key_secret").value_or("");
  if (s->key_id.empty() != s->key_secret.empty())
    throw EngineConfigError(s->key_id.empty() ? "access_key_id: missing (access_key_secret is set)"
                                              : "access_key_secret: missing (access_key_id is set)");
  s->token = opt_string(cfg, "token").value_or("");
  if (s->key_id.empty() && s->token.empty())
    throw EngineConfigError("token: missing (or access_key_id and access_key_secret)");
  s->token_url = opt_string(cfg, "token_url").value_or("http://nls-meta.cn-shanghai.aliyuncs.com/");
  if (!s->token_url.starts_with("http://") && !s->token_url.starts_with("https://"))
    throw EngineConfigError(fmt::format("token_url: not an http(s) URL: '{}'", s->token_url));
  s->params.voice = opt_string(cfg, "private_voice").value_or(opt_string(cfg, "voice").value_or("longxiaochun"));
  // The reference's sample has "longxiaochun " with a trailing space.
  while (!s->params.voice.empty() && s->params.voice.back() == ' ') s->params.voice.pop_back();
  if (auto f = opt_string(cfg, "format"); f && *f != "pcm")
    throw EngineConfigError(fmt::format("format: '{}' is not supported (pcm)", *f));
  s->params.volume = static_cast<int>(bounded_number(cfg, "volume", 0, 100, 50));
  s->params.speech_rate = static_cast<int>(bounded_number(cfg, "speech_rate", -500, 500, 0));
  s->params.pitch_rate = static_cast<int>(bounded_number(cfg, "pitch_rate", -500, 500, 0));
  s->options = duplex_options(cfg, kEngine, s->url, 10.0);
  net::HttpClientOptions ho;
  ho.ca_file = opt_string(cfg, "ca_file").value_or("");
  ho.max_idle_per_host = 0;  // a token a day: nothing worth keeping open
  s->http = std::make_unique<net::HttpClient>(ho);
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
