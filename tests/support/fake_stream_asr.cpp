#include "support/fake_stream_asr.h"

#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/runtime.h"
#include "net/http_server.h"
#include "net/websocket.h"
#include "protocol/json_text.h"
#include "providers/asr/nls_transcriber_wire.h"
#include "providers/asr/paraformer_wire.h"
#include "providers/asr/sauc_wire.h"
#include "providers/tts/aliyun_wire.h"
#include "providers/tts/dashscope_wire.h"
#include "providers/asr/xunfei_iat_wire.h"
#include "providers/tts/xunfei_wire.h"

namespace xz::test {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

namespace {

struct Out {
  bool binary = false;
  std::string data;
};

// What a client message means, whatever the vendor.
struct ClientMsg {
  enum Kind { start, audio, end, cancel, invalid } kind = invalid;
  std::string name;  // the vendor's name for it
  std::string pcm;
  json payload;
};

// One vendor's side of the protocol, per connection (some vendors number frames).
class Codec {
 public:
  virtual ~Codec() = default;
  // Messages in the order they mean something (a vendor's first frame may carry audio).
  virtual std::vector<ClientMsg> parse(const net::WsMessage& m) = 0;
  // Empty: the start's credentials are right; else the vendor's complaint.
  virtual std::string check_start(const ClientMsg& start) const = 0;
  virtual std::vector<Out> started() = 0;
  // `text`: the script so far; `delta`: its words added since the last result.
  virtual std::vector<Out> partial(const std::string& text, const std::string& delta) = 0;
  virtual std::vector<Out> final_result(const std::string& text, const std::string& delta) = 0;
  virtual std::vector<Out> error(const std::string& why) = 0;
  virtual Out malformed() const = 0;
};

class DoubaoCodec : public Codec {
 public:
  explicit DoubaoCodec(const FakeStreamAsrOptions& o) : o_(o) {}
  std::vector<ClientMsg> parse(const net::WsMessage& m) override {
    ClientMsg c;
    if (!m.binary) return {{ClientMsg::invalid, "text message", {}, {}}};
    providers::sauc::Frame f;
    try {
      f = providers::sauc::parse_frame(m.data);
    } catch (const std::exception& e) {
      return {{ClientMsg::invalid, std::string("bad frame: ") + e.what(), {}, {}}};
    }
    if (f.compression != 1) return {{ClientMsg::invalid, "payload not gzip", {}, {}}};
    if (f.type == providers::sauc::kFullClientRequest) {
      c.kind = ClientMsg::start;
      c.name = "FullClientRequest";
      c.payload = protocol::parse_json_text(f.payload);
    } else if (f.type == providers::sauc::kAudioOnlyRequest) {
      c.kind = f.last() ? ClientMsg::end : ClientMsg::audio;
      c.name = f.last() ? "LastAudio" : "Audio";
      c.pcm = std::move(f.payload);
    } else {
      c.name = "message type " + std::to_string(f.type);
    }
    return {std::move(c)};
  }
  std::string check_start(const ClientMsg& s) const override {
    const auto& p = s.payload;
    if (!p.is_object() || !p.contains("app") || !p["app"].is_object() || !p.contains("audio") ||
        !p["audio"].is_object())
      return "invalid request";
    if (p["app"].value("appid", "") != o_.app_id || p["app"].value("token", "") != o_.token) return "invalid auth";
    if (p["audio"].value("rate", 0) != 16000 || p["audio"].value("format", "") != "pcm") return "unsupported audio";
    return {};
  }
  std::vector<Out> started() override {
    return {{true, providers::sauc::encode_response(
                       ++seq_, R"({"audio_info":{"duration":0},"result":{"additions":{"log_id":"fake"},"text":""}})",
                       false)}};
  }
  std::vector<Out> partial(const std::string& text, const std::string&) override {
    json j = {{"audio_info", {{"duration", 600 * seq_}}},
              {"result",
               {{"text", text},
                {"utterances", json::array({{{"definite", false}, {"start_time", 300}, {"end_time", 900}, {"text", text}, {"words", json::array()}}})}}}};
    return {{true, providers::sauc::encode_response(++seq_, j.dump(), false)}};
  }
  std::vector<Out> final_result(const std::string& text, const std::string&) override {
    json j = {{"audio_info", {{"duration", 1200}}},
              {"result",
               {{"additions", {{"log_id", "fake"}}},
                {"text", text},
                {"utterances", json::array({{{"definite", true}, {"end_time", 1100}, {"start_time", 300}, {"text", text}, {"words", json::array()}}})}}}};
    return {{true, providers::sauc::encode_response(-(++seq_), j.dump(), true)}};
  }
  std::vector<Out> error(const std::string& why) override {
    return {{true, providers::sauc::encode_error(45000001, json{{"error", why}}.dump())}};
  }
  Out malformed() const override { return {true, std::string("\x11\x91\x10\x00\x00\x00", 6)}; }

 private:
  const FakeStreamAsrOptions& o_;
  std::int32_t seq_ = 0;
};

class XunfeiCodec : public Codec {
 public:
  explicit XunfeiCodec(const FakeStreamAsrOptions& o) : o_(o) {}
  std::vector<ClientMsg> parse(const net::WsMessage& m) override {
    namespace x = providers::xunfei_iat;
    if (m.binary) return {{ClientMsg::invalid, "binary message", {}, {}}};
    x::ClientFrame f;
    try {
      f = x::parse_client_frame(m.data);
    } catch (const std::exception& e) {
      return {{ClientMsg::invalid, std::string("bad frame: ") + e.what(), {}, {}}};
    }
    json payload = protocol::parse_json_text(m.data);
    const std::string name = "status " + std::to_string(f.status);
    switch (f.status) {
      case 0:  // the first frame opens the session and carries audio
        return {{ClientMsg::start, name, {}, payload}, {ClientMsg::audio, "Audio", std::move(f.audio), {}}};
      case 1:
        return {{ClientMsg::audio, "Audio", std::move(f.audio), {}}};
      case 2:
        return {{ClientMsg::end, name, std::move(f.audio), {}}};
      default:
        return {{ClientMsg::invalid, name, {}, {}}};
    }
  }
  std::string check_start(const ClientMsg& s) const override {
    auto f = providers::xunfei_iat::parse_client_frame(s.payload.dump());
    if (f.app_id != o_.app_id) return "app_id mismatch";
    if (!f.has_parameter || f.domain.empty() || f.sample_rate != 16000) return "invalid parameter";
    return {};
  }
  std::vector<Out> started() override { return {}; }  // the service acknowledges nothing
  std::vector<Out> partial(const std::string&, const std::string& delta) override {
    ++sn_;
    return {{false, providers::xunfei_iat::server_frame(0, "success", "ase0001", 1, sn_, delta, false)}};
  }
  std::vector<Out> final_result(const std::string&, const std::string& delta) override {
    ++sn_;
    return {{false, providers::xunfei_iat::server_frame(0, "success", "ase0001", 2, sn_, delta, true)}};
  }
  std::vector<Out> error(const std::string& why) override {
    return {{false, providers::xunfei_iat::server_frame(10160, why, "ase0001", 2, 0, "", true)}};
  }
  Out malformed() const override { return {false, "{\"header\": 42"}; }

 private:
  const FakeStreamAsrOptions& o_;
  int sn_ = 0;
};

class AliBlCodec : public Codec {
 public:
  explicit AliBlCodec(const FakeStreamAsrOptions&) {}
  std::vector<ClientMsg> parse(const net::WsMessage& m) override {
    if (m.binary) return {{ClientMsg::audio, "Audio", m.data, {}}};
    providers::dashscope::Message msg;
    try {
      msg = providers::dashscope::parse_message(m.data);
    } catch (const std::exception& e) {
      return {{ClientMsg::invalid, std::string("bad message: ") + e.what(), {}, {}}};
    }
    json payload = protocol::parse_json_text(m.data);
    if (msg.action == "run-task") {
      task_ = msg.task_id;
      return {{ClientMsg::start, "run-task", {}, std::move(payload)}};
    }
    if (msg.action == "finish-task") return {{ClientMsg::end, "finish-task", {}, std::move(payload)}};
    return {{ClientMsg::invalid, msg.action.empty() ? "no action" : msg.action, {}, {}}};
  }
  std::string check_start(const ClientMsg& s) const override {
    const auto& p = s.payload.value("payload", json::object());
    if (task_.empty()) return "task_id missing";
    if (p.value("task_group", "") != "audio" || p.value("task", "") != "asr" || p.value("function", "") != "recognition")
      return "InvalidParameter: task_group/task/function";
    if (p.value("model", "").empty()) return "InvalidParameter: model";
    const auto params = p.value("parameters", json::object());
    if (params.value("sample_rate", 0) != 16000 || params.value("format", "") != "pcm")
      return "InvalidParameter: format/sample_rate";
    return {};
  }
  std::vector<Out> started() override { return {ev("task-started")}; }
  std::vector<Out> partial(const std::string& text, const std::string&) override {
    return {ev("result-generated", providers::paraformer::result_payload(text, false, 170, 0))};
  }
  std::vector<Out> final_result(const std::string& text, const std::string&) override {
    return {ev("result-generated", providers::paraformer::result_payload(text, true, 170, 1500)), ev("task-finished")};
  }
  std::vector<Out> error(const std::string& why) override {
    return {{false, providers::dashscope::make_event("task-failed", task_, nullptr, "CLIENT_ERROR", why)}};
  }
  Out malformed() const override { return {false, "{\"header\": {\"event\": 42"}; }

 private:
  Out ev(const char* name, const json& payload = nullptr) {
    return {false, providers::dashscope::make_event(name, task_, payload)};
  }
  std::string task_;
};

class NlsCodec : public Codec {
 public:
  explicit NlsCodec(const FakeStreamAsrOptions& o) : o_(o) {}
  std::vector<ClientMsg> parse(const net::WsMessage& m) override {
    if (m.binary) {
      if (!started_) return {{ClientMsg::invalid, "audio before TranscriptionStarted", {}, {}}};
      return {{ClientMsg::audio, "Audio", m.data, {}}};
    }
    providers::aliyun::Event e;
    try {
      e = providers::aliyun::parse_event(m.data);
    } catch (const std::exception& ex) {
      return {{ClientMsg::invalid, std::string("bad message: ") + ex.what(), {}, {}}};
    }
    json payload = protocol::parse_json_text(m.data);
    if (e.name == "StartTranscription") {
      task_ = e.task_id;
      return {{ClientMsg::start, e.name, {}, std::move(payload)}};
    }
    if (e.name == "StopTranscription") return {{ClientMsg::end, e.name, {}, std::move(payload)}};
    return {{ClientMsg::invalid, e.name, {}, {}}};
  }
  std::string check_start(const ClientMsg& s) const override {
    const json h = s.payload.value("header", json::object());
    if (h.value("appkey", "") != o_.app_id) return "Gateway:APPKEY_NOT_EXIST";
    if (h.value("namespace", "") != "SpeechTranscriber" || task_.size() != 32) return "Gateway:BAD_REQUEST";
    const json p = s.payload.value("payload", json::object());
    if (p.value("format", "") != "pcm" || p.value("sample_rate", 0) != 16000) return "Gateway:BAD_AUDIO_FORMAT";
    return {};
  }
  std::vector<Out> started() override {
    started_ = true;
    return {ev("TranscriptionStarted", {{"session_id", "fake"}})};
  }
  std::vector<Out> partial(const std::string& text, const std::string&) override {
    std::vector<Out> out;
    if (!begun_) out.push_back(ev("SentenceBegin", {{"index", 1}, {"time", 880}}));
    begun_ = true;
    out.push_back(ev("TranscriptionResultChanged", {{"index", 1}, {"time", 1800}, {"result", text}, {"confidence", 0.6},
                                                     {"words", json::array()}, {"status", 0}}));
    return out;
  }
  std::vector<Out> final_result(const std::string& text, const std::string&) override {
    return {ev("SentenceEnd", {{"index", 1}, {"time", 2520}, {"result", text}, {"confidence", 0.872},
                               {"words", json::array()}, {"status", 0}, {"begin_time", 880}}),
            ev("TranscriptionCompleted")};
  }
  std::vector<Out> error(const std::string& why) override {
    return {{false, providers::nls_transcriber::make_event("TaskFailed", task_, nullptr, 40000004, why)}};
  }
  Out malformed() const override { return {false, "{\"header\": {\"name\": 42"}; }

 private:
  Out ev(const char* name, const json& payload = nullptr) {
    return {false, providers::nls_transcriber::make_event(name, task_, payload)};
  }
  const FakeStreamAsrOptions& o_;
  std::string task_;
  bool started_ = false;
  bool begun_ = false;
};

std::unique_ptr<Codec> make_codec(FakeAsrVendor v, const FakeStreamAsrOptions& o) {
  switch (v) {
    case FakeAsrVendor::doubao:
      return std::make_unique<DoubaoCodec>(o);
    case FakeAsrVendor::xunfei:
      return std::make_unique<XunfeiCodec>(o);
    case FakeAsrVendor::alibl:
      return std::make_unique<AliBlCodec>(o);
    case FakeAsrVendor::aliyun:
      return std::make_unique<NlsCodec>(o);
  }
  return nullptr;
}

std::string path_of(FakeAsrVendor v) {
  switch (v) {
    case FakeAsrVendor::doubao:
      return "/api/v3/sauc/bigmodel_async";
    case FakeAsrVendor::xunfei:
      return "/v1";
    case FakeAsrVendor::alibl:
      return "/api-ws/v1/inference";
    case FakeAsrVendor::aliyun:
      return "/ws/v1";
  }
  return "/";
}

}  // namespace

struct FakeStreamAsr::Impl {
  Impl(FakeAsrVendor v, FakeStreamAsrOptions o) : vendor(v), opts(std::move(o)) {}
  FakeAsrVendor vendor;
  FakeStreamAsrOptions opts;
  core::Runtime rt{1, 1};
  std::unique_ptr<net::HttpServer> server;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::vector<FakeAsrReceived> got;
  std::deque<FakeAsrFault> faults;
  std::vector<std::map<std::string, std::string>> upgrades;
  std::map<int, std::string> audio;
  std::map<int, Clock::time_point> finals;
  int connections = 0;
  int refused = 0;
  std::size_t partials = 0;
  int tokens = 0;
  int tokens_refused = 0;

  void record(int conn, std::string name, json payload = nullptr) {
    std::lock_guard lk(mu);
    got.push_back({conn, std::move(name), std::move(payload), Clock::now()});
    cv.notify_all();
  }
  FakeAsrFault take_fault() {
    std::lock_guard lk(mu);
    if (faults.empty()) return FakeAsrFault::none;
    auto f = faults.front();
    faults.pop_front();
    return f;
  }
};

namespace {

using Impl = FakeStreamAsr::Impl;

struct Connection : std::enable_shared_from_this<Connection> {
  Connection(std::shared_ptr<Impl> i, std::shared_ptr<net::WebSocket> w, int n)
      : impl(std::move(i)), ws(std::move(w)), number(n), codec(make_codec(impl->vendor, impl->opts)) {}

  std::shared_ptr<Impl> impl;
  std::shared_ptr<net::WebSocket> ws;
  int number;
  std::unique_ptr<Codec> codec;
  FakeAsrFault fault = FakeAsrFault::none;
  bool started = false;
  bool stalled = false;
  bool closed = false;
  int packets = 0;
  std::size_t words = 0;

  void send(std::vector<Out> out) {
    if (closed || stalled) return;
    for (auto& o : out) {
      if (o.binary)
        ws->send_binary(std::move(o.data));
      else
        ws->send_text(std::move(o.data));
    }
  }

  std::string script(std::size_t n) const {
    std::string s;
    for (std::size_t i = 0; i < n && i < impl->opts.script.size(); ++i) s += impl->opts.script[i];
    return s;
  }

  asio::awaitable<void> finalize_later() {
    auto self = shared_from_this();
    asio::steady_timer t(ws->executor(), impl->opts.finalize_delay);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    if (closed || stalled) co_return;
    {
      std::lock_guard lk(impl->mu);
      impl->finals[number] = Clock::now();
    }
    const std::string full = script(impl->opts.script.size());
    send(codec->final_result(full, full.substr(script(words).size())));
    words = impl->opts.script.size();
  }

  void after_first_audio() {
    switch (std::exchange(fault, FakeAsrFault::none)) {
      case FakeAsrFault::error_frame:
        send(codec->error("timed out waiting for packets"));
        closed = true;
        ws->close();
        break;
      case FakeAsrFault::drop:
        closed = true;
        ws->abort();
        break;
      case FakeAsrFault::stall:
        stalled = true;
        break;
      case FakeAsrFault::malformed:
        send({codec->malformed()});
        break;
      default:
        break;
    }
  }

  asio::awaitable<void> serve() {
    auto self = shared_from_this();
    while (!closed) {
      auto m = co_await ws->read();
      if (!m) break;
      for (auto& c : codec->parse(*m)) {
        impl->record(number, c.name, c.payload);
        switch (c.kind) {
          case ClientMsg::start: {
            fault = impl->take_fault();
            auto why = codec->check_start(c);
            if (why.empty() && fault == FakeAsrFault::error_at_start) why = "invalid request parameters";
            if (!why.empty()) {
              send(codec->error(why));
              closed = true;
              ws->close();
              break;
            }
            started = true;
            if (fault == FakeAsrFault::silent_start) {
              stalled = true;
              break;
            }
            send(codec->started());
            break;
          }
          case ClientMsg::audio: {
            {
              std::lock_guard lk(impl->mu);
              impl->audio[number] += c.pcm;
            }
            if (++packets == 1 && fault != FakeAsrFault::none) {
              after_first_audio();
              break;
            }
            const int every = std::max(1, impl->opts.packets_per_partial);
            if (packets % every == 0 && words < impl->opts.script.size()) {
              const std::string before = script(words);
              ++words;
              {
                std::lock_guard lk(impl->mu);
                ++impl->partials;
              }
              const std::string now = script(words);
              send(codec->partial(now, now.substr(before.size())));
            }
            break;
          }
          case ClientMsg::end:
            if (!c.pcm.empty()) {
              std::lock_guard lk(impl->mu);
              impl->audio[number] += c.pcm;
            }
            asio::co_spawn(ws->executor(), finalize_later(), asio::detached);
            break;
          case ClientMsg::cancel:
          case ClientMsg::invalid:
            break;
        }
        if (closed) break;
      }
    }
    closed = true;
    impl->record(number, "Close");
  }
};

}  // namespace

FakeStreamAsr::FakeStreamAsr(FakeAsrVendor vendor, FakeStreamAsrOptions opts)
    : impl_(std::make_shared<Impl>(vendor, std::move(opts))) {
  impl_->rt.start();
  net::HttpServerOptions o;
  o.name = "fake-stream-asr";
  o.address = "127.0.0.1";
  o.max_ws_message_bytes = 1 << 20;
  auto router = std::make_shared<net::HttpRouter>();
  std::weak_ptr<Impl> weak = impl_;
  // Aliyun's CreateToken (GET /?Signature=...&AccessKeyId=...): the POP signature checked.
  router->add("GET", "/", [weak](net::HttpRequest& req) -> asio::awaitable<net::HttpResponse> {
    auto impl = weak.lock();
    if (!impl) co_return net::HttpResponse::text(503, "gone");
    std::vector<std::pair<std::string, std::string>> query(req.query.begin(), req.query.end());
    auto check = providers::aliyun::check_token_request(query, impl->opts.secret);
    std::lock_guard lk(impl->mu);
    if (!check.ok || check.access_key_id != impl->opts.key_id) {
      ++impl->tokens_refused;
      co_return net::HttpResponse::json(
          400, {{"RequestId", "fake"}, {"Message", check.ok ? "Specified access key is not found." : check.why},
                {"Code", check.ok ? "InvalidAccessKeyId.NotFound" : "SignatureDoesNotMatch"}});
    }
    ++impl->tokens;
    co_return net::HttpResponse::json(
        200, {{"NlsRequestId", "fake"}, {"RequestId", "fake"}, {"ErrMsg", ""},
              {"Token", {{"ExpireTime", static_cast<long long>(std::time(nullptr)) + impl->opts.token_ttl_seconds},
                         {"Id", impl->opts.token}, {"UserId", "123"}}}});
  });
  impl_->server = std::make_unique<net::HttpServer>(impl_->rt, o, router);
  impl_->server->set_upgrade_check([weak](const net::HttpRequest& req) -> std::optional<net::HttpResponse> {
    auto impl = weak.lock();
    if (!impl) return net::HttpResponse::text(503, "gone");
    std::optional<net::HttpResponse> refusal;
    if (impl->vendor == FakeAsrVendor::doubao) {
      if (req.header("X-Api-App-Key") != impl->opts.app_id || req.header("X-Api-Access-Key") != impl->opts.token ||
          req.header("X-Api-Connect-Id").empty()) {
        refusal = net::HttpResponse::json(401, {{"error", "invalid auth"}});
        refusal->headers.emplace_back("X-Api-Status-Code", "45000010");
        refusal->headers.emplace_back("X-Api-Message", "invalid auth");
      } else if (req.header("X-Api-Resource-Id") != impl->opts.resource_id) {
        refusal = net::HttpResponse::json(403, {{"error", "resource not granted"}});
        refusal->headers.emplace_back("X-Api-Status-Code", "45000030");
        refusal->headers.emplace_back("X-Api-Message", "requested resource not granted");
      }
    }
    if (impl->vendor == FakeAsrVendor::alibl && req.header("Authorization") != "Bearer " + impl->opts.token)
      refusal = net::HttpResponse::json(401, {{"code", "InvalidApiKey"}, {"message", "Invalid API-key provided."}});
    if (impl->vendor == FakeAsrVendor::aliyun && req.header("X-NLS-Token") != impl->opts.token)
      refusal = net::HttpResponse::json(403, {{"header", {{"status", 40000001}, {"status_text", "Gateway:ACCESS_DENIED"}}}});
    if (impl->vendor == FakeAsrVendor::xunfei) {
      auto q = [&](const char* k) {
        auto it = req.query.find(k);
        return it == req.query.end() ? std::string() : it->second;
      };
      std::string why = providers::xunfei::check_signed_request(q("host"), req.path, q("authorization"), q("date"),
                                                                impl->opts.token, impl->opts.secret);
      if (!why.empty()) refusal = net::HttpResponse::json(401, {{"message", why}});
    }
    std::lock_guard lk(impl->mu);
    impl->upgrades.push_back(req.headers);
    if (refusal) ++impl->refused;
    return refusal;
  });
  impl_->server->set_websocket_handler([weak](std::shared_ptr<net::WebSocket> ws, net::HttpRequest) {
    auto impl = weak.lock();
    if (!impl) return;
    int n = 0;
    {
      std::lock_guard lk(impl->mu);
      n = ++impl->connections;
    }
    auto c = std::make_shared<Connection>(impl, ws, n);
    asio::co_spawn(ws->executor(), c->serve(), asio::detached);
  });
  impl_->server->start();
}

FakeStreamAsr::~FakeStreamAsr() {
  impl_->server->stop_accepting();
  impl_->rt.stop();
}

std::string FakeStreamAsr::url() const {
  return "ws://127.0.0.1:" + std::to_string(impl_->server->port()) + path_of(impl_->vendor);
}

void FakeStreamAsr::fail_next_session(FakeAsrFault fault) {
  std::lock_guard lk(impl_->mu);
  impl_->faults.push_back(fault);
}

std::vector<FakeAsrReceived> FakeStreamAsr::received() const {
  std::lock_guard lk(impl_->mu);
  return impl_->got;
}

std::size_t FakeStreamAsr::count(const std::string& name) const {
  std::lock_guard lk(impl_->mu);
  std::size_t n = 0;
  for (const auto& r : impl_->got) n += r.name == name;
  return n;
}

bool FakeStreamAsr::wait_for(const std::string& name, std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lk(impl_->mu);
  return impl_->cv.wait_for(lk, timeout, [&] {
    std::size_t k = 0;
    for (const auto& r : impl_->got) k += r.name == name;
    return k >= n;
  });
}

int FakeStreamAsr::connections() const {
  std::lock_guard lk(impl_->mu);
  return impl_->connections;
}

int FakeStreamAsr::refused_upgrades() const {
  std::lock_guard lk(impl_->mu);
  return impl_->refused;
}

std::vector<std::map<std::string, std::string>> FakeStreamAsr::upgrade_headers() const {
  std::lock_guard lk(impl_->mu);
  return impl_->upgrades;
}

std::string FakeStreamAsr::audio(int connection) const {
  std::lock_guard lk(impl_->mu);
  auto it = impl_->audio.find(connection);
  return it == impl_->audio.end() ? std::string() : it->second;
}

std::size_t FakeStreamAsr::partials_sent() const {
  std::lock_guard lk(impl_->mu);
  return impl_->partials;
}

Clock::time_point FakeStreamAsr::final_sent_at(int connection) const {
  std::lock_guard lk(impl_->mu);
  auto it = impl_->finals.find(connection);
  return it == impl_->finals.end() ? Clock::time_point{} : it->second;
}

}  // namespace xz::test

namespace xz::test {

std::string FakeStreamAsr::token_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->server->port()) + "/";
}

int FakeStreamAsr::tokens_issued() const {
  std::lock_guard lk(impl_->mu);
  return impl_->tokens;
}

int FakeStreamAsr::token_requests_refused() const {
  std::lock_guard lk(impl_->mu);
  return impl_->tokens_refused;
}

}  // namespace xz::test
