#include "support/fake_duplex_tts.h"

#include <cmath>
#include <condition_variable>
#include <deque>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <ctime>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/runtime.h"
#include "net/http_server.h"
#include "net/websocket.h"
#include "pipeline/speech_text.h"
#include "protocol/json_text.h"
#include "providers/tts/aliyun_wire.h"
#include "providers/tts/dashscope_wire.h"
#include "providers/tts/huoshan_wire.h"
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

// The value at a path of keys, else the fallback (a client's JSON may be anything).
template <class T>
T at_path(const json& j, std::initializer_list<const char*> path, T fallback) {
  const json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object() || !cur->contains(k)) return fallback;
    cur = &cur->at(k);
  }
  try {
    return cur->get<T>();
  } catch (const std::exception&) {
    return fallback;
  }
}

// What a client message asks for, whatever the vendor.
struct Action {
  enum Kind { none, start_connection, start, say, finish, cancel, finish_connection, invalid } kind = none;
  std::string name;  // the vendor's name for it
  std::string session;
  std::string text;
  json payload;

  static Action refused(std::string why) {
    Action a;
    a.kind = invalid;
    a.name = std::move(why);
    return a;
  }
};

// One vendor's side of the protocol.
class Codec {
 public:
  virtual ~Codec() = default;
  virtual std::string path() const = 0;
  // nullopt: the upgrade is accepted.
  virtual std::optional<net::HttpResponse> check(const net::HttpRequest& req) const = 0;
  virtual Action parse(const net::WsMessage& m) const = 0;
  virtual std::vector<Out> connection_started() const { return {}; }
  virtual std::vector<Out> connection_finished() const { return {}; }
  virtual std::vector<Out> started(const std::string& s) const = 0;
  virtual std::vector<Out> sentence_start(const std::string& s, const std::string& text) const = 0;
  virtual std::vector<Out> audio(const std::string& s, const std::string& pcm) const = 0;
  virtual std::vector<Out> sentence_end(const std::string& s, const std::string& text) const = 0;
  virtual std::vector<Out> finished(const std::string& s) const = 0;
  virtual std::vector<Out> canceled(const std::string& s) const = 0;
  virtual std::vector<Out> session_failed(const std::string& s, const std::string& why) const = 0;
  virtual std::vector<Out> error_frame(const std::string& s, const std::string& why) const = 0;
  // Bytes the client cannot take for this protocol (FakeTtsFault::malformed).
  virtual Out malformed() const { return {false, "{\"header\": {\"name\": 42"}; }
  // The vendor closes the connection after a session's end.
  virtual bool closes_after_session() const { return false; }
  // The speaker/voice a start asks for, to refuse unknown ones.
  virtual std::string voice(const json& /*start_payload*/) const { return {}; }
  // The sample rate a start asks for.
  virtual int sample_rate(const json& /*start_payload*/) const { return 24000; }
  // Text before the session's `started` was sent fails the session (DashScope).
  virtual bool text_needs_started() const { return false; }
  // Sessions have no id on the wire (Xunfei): the fake names them.
  virtual bool anonymous_sessions() const { return false; }
};

class HuoshanCodec : public Codec {
 public:
  explicit HuoshanCodec(const FakeDuplexOptions& o) : o_(o) {}
  std::string path() const override { return "/api/v3/tts/bidirection"; }
  std::optional<net::HttpResponse> check(const net::HttpRequest& req) const override {
    if (req.header("X-Api-App-Key") != o_.app_id || req.header("X-Api-Access-Key") != o_.token ||
        req.header("X-Api-Resource-Id") != o_.resource_id || req.header("X-Api-Connect-Id").empty())
      return net::HttpResponse::json(401, {{"error", "invalid auth"}});
    return std::nullopt;
  }
  Action parse(const net::WsMessage& m) const override {
    Action a;
    if (!m.binary) {
      a.kind = Action::invalid;
      a.name = "text message";
      return a;
    }
    providers::huoshan::Frame f;
    try {
      f = providers::huoshan::parse_frame(m.data);
    } catch (const std::exception& e) {
      a.kind = Action::invalid;
      a.name = std::string("bad frame: ") + e.what();
      return a;
    }
    a.session = f.id;
    a.payload = protocol::parse_json_text(f.payload);
    if (a.payload.is_discarded()) a.payload = nullptr;
    namespace h = providers::huoshan;
    switch (f.event) {
      case h::kStartConnection: a.kind = Action::start_connection, a.name = "StartConnection"; break;
      case h::kFinishConnection: a.kind = Action::finish_connection, a.name = "FinishConnection"; break;
      case h::kStartSession: a.kind = Action::start, a.name = "StartSession"; break;
      case h::kCancelSession: a.kind = Action::cancel, a.name = "CancelSession"; break;
      case h::kFinishSession: a.kind = Action::finish, a.name = "FinishSession"; break;
      case h::kTaskRequest:
        a.kind = Action::say;
        a.name = "TaskRequest";
        if (a.payload.is_object() && a.payload.contains("req_params") && a.payload["req_params"].is_object())
          a.text = a.payload["req_params"].value("text", "");
        break;
      default:
        a.kind = Action::invalid;
        a.name = "event " + std::to_string(f.event);
    }
    return a;
  }
  Out malformed() const override { return {true, std::string("\x7f\x00garbage", 9)}; }
  std::vector<Out> connection_started() const override { return {ev(50, "conn-1", "{}")}; }
  std::vector<Out> connection_finished() const override { return {ev(52, "conn-1", "{}")}; }
  std::vector<Out> started(const std::string& s) const override { return {ev(150, s, "{}")}; }
  std::vector<Out> sentence_start(const std::string& s, const std::string& text) const override {
    return {ev(350, s, json{{"text", text}}.dump())};
  }
  std::vector<Out> audio(const std::string& s, const std::string& pcm) const override {
    return {{true, providers::huoshan::encode_audio(s, pcm)}};
  }
  std::vector<Out> sentence_end(const std::string& s, const std::string&) const override { return {ev(351, s, "{}")}; }
  std::vector<Out> finished(const std::string& s) const override {
    return {ev(152, s, R"({"status_code": 20000000, "message": "ok"})")};
  }
  std::vector<Out> canceled(const std::string& s) const override { return {ev(151, s, "{}")}; }
  std::vector<Out> session_failed(const std::string& s, const std::string& why) const override {
    return {ev(153, s, json{{"status_code", 45000001}, {"message", why}}.dump())};
  }
  std::vector<Out> error_frame(const std::string&, const std::string& why) const override {
    return {{true, providers::huoshan::encode_error(45000000, json{{"error", why}}.dump())}};
  }
  std::string voice(const json& p) const override {
    return at_path<std::string>(p, {"req_params", "speaker"}, std::string());
  }
  int sample_rate(const json& p) const override { return at_path<int>(p, {"req_params", "audio_params", "sample_rate"}, 24000); }

 private:
  static Out ev(std::int32_t event, const std::string& id, const std::string& payload) {
    return {true, providers::huoshan::encode_event(event, id, payload)};
  }
  const FakeDuplexOptions& o_;
};

class AliyunCodec : public Codec {
 public:
  explicit AliyunCodec(const FakeDuplexOptions& o) : o_(o) {}
  std::string path() const override { return "/ws/v1"; }
  std::optional<net::HttpResponse> check(const net::HttpRequest& req) const override {
    if (req.header("X-NLS-Token") != o_.token)
      return net::HttpResponse::json(403, {{"header", {{"status", 40000001}, {"status_text", "Gateway:ACCESS_DENIED"}}}});
    return std::nullopt;
  }
  Action parse(const net::WsMessage& m) const override {
    if (m.binary) return Action::refused("binary message");
    Action a;
    providers::aliyun::Event e;
    try {
      e = providers::aliyun::parse_event(m.data);
    } catch (const std::exception& ex) {
      return Action::refused(std::string("bad message: ") + ex.what());
    }
    a.name = e.name;
    a.session = e.task_id;
    a.payload = json::parse(m.data);
    if (e.header.value("namespace", "") != "FlowingSpeechSynthesizer" || e.header.value("appkey", "") != o_.app_id ||
        e.header.value("message_id", "").size() != 32) {
      a.kind = Action::invalid;
      a.name = "bad header: " + e.name;
      return a;
    }
    if (e.name == "StartSynthesis") {
      a.kind = Action::start;
    } else if (e.name == "RunSynthesis") {
      a.kind = Action::say;
      if (e.payload.is_object()) a.text = e.payload.value("text", "");
    } else if (e.name == "StopSynthesis") {
      a.kind = Action::finish;
    } else {
      a.kind = Action::invalid;
    }
    return a;
  }
  std::vector<Out> started(const std::string& s) const override { return {ev("SynthesisStarted", s)}; }
  std::vector<Out> sentence_start(const std::string& s, const std::string&) const override {
    return {ev("SentenceBegin", s, {{"index", index_++}})};
  }
  std::vector<Out> audio(const std::string&, const std::string& pcm) const override { return {{true, pcm}}; }
  std::vector<Out> sentence_end(const std::string& s, const std::string& text) const override {
    return {ev("SentenceEnd", s, {{"subtitles", json::array({{{"text", text}, {"sentence", true}}})}})};
  }
  std::vector<Out> finished(const std::string& s) const override { return {ev("SynthesisCompleted", s)}; }
  std::vector<Out> canceled(const std::string& s) const override { return finished(s); }
  std::vector<Out> session_failed(const std::string& s, const std::string& why) const override {
    return {{false, providers::aliyun::make_event("TaskFailed", s, nullptr, 40000002, why)}};
  }
  std::vector<Out> error_frame(const std::string& s, const std::string& why) const override {
    return {{false, providers::aliyun::make_event("TaskFailed", s, nullptr, 50000000, why)}};
  }
  std::string voice(const json& p) const override { return at_path<std::string>(p, {"payload", "voice"}, std::string()); }
  // 16000: the service's default.
  int sample_rate(const json& p) const override { return at_path<int>(p, {"payload", "sample_rate"}, 16000); }

 private:
  static Out ev(const char* name, const std::string& s, const json& payload = nullptr) {
    return {false, providers::aliyun::make_event(name, s, payload)};
  }
  const FakeDuplexOptions& o_;
  mutable int index_ = 0;
};

class AliBlCodec : public Codec {
 public:
  explicit AliBlCodec(const FakeDuplexOptions& o) : o_(o) {}
  std::string path() const override { return "/api-ws/v1/inference/"; }
  std::optional<net::HttpResponse> check(const net::HttpRequest& req) const override {
    if (req.header("Authorization") != "Bearer " + o_.token)
      return net::HttpResponse::json(401, {{"code", "InvalidApiKey"}, {"message", "Invalid API-key provided."}});
    return std::nullopt;
  }
  Action parse(const net::WsMessage& m) const override {
    if (m.binary) return Action::refused("binary message");
    Action a;
    providers::dashscope::Message msg;
    try {
      msg = providers::dashscope::parse_message(m.data);
    } catch (const std::exception& ex) {
      return Action::refused(std::string("bad message: ") + ex.what());
    }
    a.name = msg.action;
    a.session = msg.task_id;
    a.payload = json::parse(m.data);
    if (a.payload["header"].value("streaming", "") != "duplex") {
      a.kind = Action::invalid;
      return a;
    }
    if (msg.action == "run-task") {
      const auto& p = msg.payload;
      const bool ok = p.is_object() && p.value("task_group", "") == "audio" && p.value("task", "") == "tts" &&
                      p.value("function", "") == "SpeechSynthesizer" && p.contains("parameters");
      a.kind = ok ? Action::start : Action::invalid;
    } else if (msg.action == "continue-task") {
      a.kind = Action::say;
      try {
        a.text = msg.payload.at("input").at("text").get<std::string>();
      } catch (const std::exception&) {
        a.kind = Action::invalid;
      }
    } else if (msg.action == "finish-task") {
      a.kind = Action::finish;
    } else {
      a.kind = Action::invalid;
    }
    return a;
  }
  std::vector<Out> started(const std::string& s) const override { return {ev("task-started", s)}; }
  std::vector<Out> sentence_start(const std::string& s, const std::string&) const override {
    return {ev("result-generated", s, {{"output", {{"sentence", {{"index", index_++}, {"words", json::array()}}}}}})};
  }
  std::vector<Out> audio(const std::string&, const std::string& pcm) const override { return {{true, pcm}}; }
  std::vector<Out> sentence_end(const std::string&, const std::string&) const override { return {}; }
  std::vector<Out> finished(const std::string& s) const override {
    return {ev("task-finished", s, {{"output", json::object()}, {"usage", {{"characters", 10}}}})};
  }
  std::vector<Out> canceled(const std::string& s) const override { return finished(s); }
  std::vector<Out> session_failed(const std::string& s, const std::string& why) const override {
    return {{false, providers::dashscope::make_event("task-failed", s, nullptr, "InvalidParameter", why)}};
  }
  std::vector<Out> error_frame(const std::string& s, const std::string& why) const override {
    return {{false, providers::dashscope::make_event("task-failed", s, nullptr, "InternalError", why)}};
  }
  std::string voice(const json& p) const override { return at_path<std::string>(p, {"payload", "parameters", "voice"}, std::string()); }
  int sample_rate(const json& p) const override { return at_path<int>(p, {"payload", "parameters", "sample_rate"}, 22050); }
  bool text_needs_started() const override { return true; }

 private:
  static Out ev(const char* name, const std::string& s, const json& payload = nullptr) {
    return {false, providers::dashscope::make_event(name, s, payload)};
  }
  const FakeDuplexOptions& o_;
  mutable int index_ = 0;
};

class XunfeiCodec : public Codec {
 public:
  explicit XunfeiCodec(const FakeDuplexOptions& o) : o_(o) {}
  std::string path() const override { return "/v1/private/mcd9m97e6"; }
  std::optional<net::HttpResponse> check(const net::HttpRequest& req) const override {
    auto q = [&](const char* k) {
      auto it = req.query.find(k);
      return it == req.query.end() ? std::string() : it->second;
    };
    std::string why = providers::xunfei::check_signed_request(q("host"), req.path, q("authorization"), q("date"),
                                                              o_.token, o_.secret);
    if (!why.empty()) return net::HttpResponse::json(401, {{"message", why}});
    return std::nullopt;
  }
  Action parse(const net::WsMessage& m) const override {
    Action a;
    providers::xunfei::ClientFrame f;
    try {
      f = providers::xunfei::parse_client_frame(m.data);
    } catch (const std::exception& ex) {
      return Action::refused(std::string("bad frame: ") + ex.what());
    }
    a.payload = json::parse(m.data);
    a.name = "status " + std::to_string(f.status);
    if (f.app_id != o_.app_id) {
      a.kind = Action::invalid;
      a.name = "bad app_id";
      return a;
    }
    switch (f.status) {
      case 0: a.kind = Action::start; break;
      case 1: a.kind = Action::say, a.text = f.text; break;
      case 2: a.kind = Action::finish; break;
      default: a.kind = Action::invalid;
    }
    return a;
  }
  std::vector<Out> started(const std::string&) const override {
    seq_ = 0;
    return {frame(0, "success", 0, 0, "")};
  }
  std::vector<Out> sentence_start(const std::string&, const std::string&) const override { return {}; }
  std::vector<Out> audio(const std::string&, const std::string& pcm) const override { return {frame(0, "success", 1, 1, pcm)}; }
  std::vector<Out> sentence_end(const std::string&, const std::string&) const override { return {}; }
  std::vector<Out> finished(const std::string&) const override { return {frame(0, "success", 2, 2, "")}; }
  std::vector<Out> canceled(const std::string& s) const override { return finished(s); }
  std::vector<Out> session_failed(const std::string&, const std::string& why) const override {
    return {frame(10160, why, 2, 2, "")};
  }
  std::vector<Out> error_frame(const std::string&, const std::string& why) const override {
    return {frame(10163, why, 2, 2, "")};
  }
  std::string voice(const json& p) const override { return at_path<std::string>(p, {"parameter", "tts", "vcn"}, std::string()); }
  int sample_rate(const json& p) const override { return at_path<int>(p, {"parameter", "tts", "audio", "sample_rate"}, 24000); }
  bool closes_after_session() const override { return true; }
  bool anonymous_sessions() const override { return true; }

 private:
  Out frame(int code, const std::string& msg, int status, int audio_status, const std::string& pcm) const {
    return {false, providers::xunfei::make_server_frame(code, msg, status, audio_status, pcm, ++seq_)};
  }
  const FakeDuplexOptions& o_;
  mutable int seq_ = 0;
};

bool is_cut_mark(char32_t c) {
  static constexpr std::u32string_view kMarks = U"。！？；，、.!?;,\n";
  return kMarks.find(c) != std::u32string_view::npos;
}

std::size_t spoken_chars(const std::string& s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    auto c = pipeline::decode_utf8(s, i);
    if (!pipeline::is_space(c.value) && !pipeline::is_punctuation(c.value)) ++n;
    i += c.length;
  }
  return n;
}

std::string tone_bytes(int ms, int rate, std::size_t& phase) {
  const std::size_t n = static_cast<std::size_t>(rate) * static_cast<std::size_t>(ms) / 1000;
  std::string out(n * 2, '\0');
  for (std::size_t i = 0; i < n; ++i, ++phase) {
    const auto v = static_cast<std::int16_t>(std::lround(8000.0 * std::sin(2 * M_PI * 440.0 * double(phase) / rate)));
    out[2 * i] = static_cast<char>(v & 0xFF);
    out[2 * i + 1] = static_cast<char>((v >> 8) & 0xFF);
  }
  return out;
}

}  // namespace

struct FakeDuplexTts::Impl : std::enable_shared_from_this<FakeDuplexTts::Impl> {
  Impl(FakeDuplexVendor v, FakeDuplexOptions o) : vendor(v), opts(std::move(o)) {
    switch (vendor) {
      case FakeDuplexVendor::huoshan:
        codec = std::make_unique<HuoshanCodec>(opts);
        break;
      case FakeDuplexVendor::aliyun:
        codec = std::make_unique<AliyunCodec>(opts);
        break;
      case FakeDuplexVendor::alibl:
        codec = std::make_unique<AliBlCodec>(opts);
        break;
      case FakeDuplexVendor::xunfei:
        codec = std::make_unique<XunfeiCodec>(opts);
        break;
    }
  }

  FakeDuplexVendor vendor;
  FakeDuplexOptions opts;
  std::unique_ptr<Codec> codec;
  core::Runtime rt{1, 1};
  std::unique_ptr<net::HttpServer> server;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::vector<FakeTtsReceived> got;
  std::deque<FakeTtsFault> faults;
  std::vector<std::map<std::string, std::string>> upgrades;
  int connections = 0;
  int refused = 0;
  std::size_t audio_frames = 0;
  std::size_t finished_sessions = 0;
  int tokens = 0;
  int tokens_refused = 0;

  void record(FakeTtsReceived r) {
    std::lock_guard lk(mu);
    got.push_back(std::move(r));
    cv.notify_all();
  }
  FakeTtsFault take_fault() {
    std::lock_guard lk(mu);
    if (faults.empty()) return FakeTtsFault::none;
    auto f = faults.front();
    faults.pop_front();
    return f;
  }
};

namespace {

using Impl = FakeDuplexTts::Impl;

// One connection: a reader (this coroutine) and a speaker coroutine that turns the cut
// sentences of the open session into sentence events and audio.
struct Connection : std::enable_shared_from_this<Connection> {
  Connection(std::shared_ptr<Impl> i, std::shared_ptr<net::WebSocket> w, int n)
      : impl(std::move(i)), ws(std::move(w)), number(n), wake(ws->executor(), Clock::time_point::max()) {}

  std::shared_ptr<Impl> impl;
  std::shared_ptr<net::WebSocket> ws;
  int number;
  asio::steady_timer wake;
  // The open session.
  bool active = false;
  std::string session;
  std::string pending;  // text not cut yet
  std::deque<std::string> sentences;
  bool finish_requested = false;
  FakeTtsFault fault = FakeTtsFault::none;
  int rate = 24000;
  std::uint64_t generation = 0;  // bumped by cancel: the speaker drops its work
  bool closed = false;
  bool started_sent = false;
  int sessions = 0;
  std::size_t phase = 0;

  asio::awaitable<void> ack_later(std::uint64_t gen, std::string sid) {
    auto self = shared_from_this();
    co_await pause(impl->opts.start_ack_delay);
    if (gen != generation || closed || !active || sid != session) co_return;
    started_sent = true;
    send(impl->codec->started(sid));
  }

  void send(std::vector<Out> out) {
    if (closed) return;
    for (auto& o : out) {
      if (o.binary)
        ws->send_binary(std::move(o.data));
      else
        ws->send_text(std::move(o.data));
    }
  }

  void cut(bool at_end) {
    std::size_t start = 0, run = 0;
    for (std::size_t i = 0; i < pending.size();) {
      auto c = pipeline::decode_utf8(pending, i);
      i += c.length;
      if (!c.complete) break;
      ++run;
      if (is_cut_mark(c.value) || (impl->opts.speak_every_chars && run >= impl->opts.speak_every_chars)) {
        auto s = pending.substr(start, i - start);
        if (spoken_chars(s)) sentences.push_back(std::move(s));
        start = i;
        run = 0;
      }
    }
    pending.erase(0, start);
    if (at_end && spoken_chars(pending)) sentences.push_back(pending);
    if (at_end) pending.clear();
    wake.cancel();
  }

  asio::awaitable<void> pause(std::chrono::milliseconds d) {
    if (d.count() <= 0) co_return;
    asio::steady_timer t(ws->executor(), d);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  }

  asio::awaitable<void> speak() {
    auto self = shared_from_this();
    const auto& o = impl->opts;
    while (!closed) {
      if (!active || (sentences.empty() && !finish_requested)) {
        wake.expires_at(Clock::time_point::max());
        co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      const auto gen = generation;
      const std::string sid = session;
      if (sentences.empty()) {  // finished and flushed
        active = false;
        finish_requested = false;
        {
          std::lock_guard lk(impl->mu);  // counted first: the client may look as soon as it is sent
          ++impl->finished_sessions;
        }
        send(impl->codec->finished(sid));
        if (impl->codec->closes_after_session()) {
          closed = true;
          ws->close();
        }
        continue;
      }
      std::string s = std::move(sentences.front());
      sentences.pop_front();
      co_await pause(o.first_audio_delay);
      if (gen != generation || closed) continue;
      send(impl->codec->sentence_start(sid, s));
      const int total_ms = std::max(120, static_cast<int>(spoken_chars(s)) * o.ms_per_char);
      for (int done = 0; done < total_ms && gen == generation && !closed; done += o.chunk_ms) {
        if (done > 0) co_await pause(o.chunk_interval);
        if (gen != generation || closed) break;
        {
          std::lock_guard lk(impl->mu);
          ++impl->audio_frames;
        }
        send(impl->codec->audio(sid, tone_bytes(std::min(o.chunk_ms, total_ms - done), rate, phase)));
        if (fault != FakeTtsFault::none) {
          auto f = std::exchange(fault, FakeTtsFault::none);
          switch (f) {
            case FakeTtsFault::error_frame:
              send(impl->codec->error_frame(sid, "synthesis engine error"));
              break;
            case FakeTtsFault::drop:
              // Mid-reply: the audio so far is written first (abort drops what is queued).
              co_await pause(std::chrono::milliseconds(50));
              closed = true;
              ws->abort();
              break;
            case FakeTtsFault::stall:
              ++generation;  // drop everything of this session
              sentences.clear();
              finish_requested = false;
              active = false;
              break;
            case FakeTtsFault::malformed:
              send({impl->codec->malformed()});
              break;
            default:
              break;
          }
          if (f == FakeTtsFault::error_frame || f == FakeTtsFault::malformed) {
            ++generation;
            sentences.clear();
            finish_requested = false;
            active = false;
          }
        }
      }
      if (gen == generation && !closed) send(impl->codec->sentence_end(sid, s));
    }
  }

  asio::awaitable<void> serve() {
    auto self = shared_from_this();
    asio::co_spawn(ws->executor(), speak(), asio::detached);
    for (;;) {
      auto m = co_await ws->read();
      if (!m) break;
      Action a = impl->codec->parse(*m);
      FakeTtsReceived r;
      r.connection = number;
      r.name = a.name;
      r.session = a.session;
      r.text = a.text;
      r.payload = a.payload;
      r.raw = m->data;
      r.at = Clock::now();
      impl->record(std::move(r));
      switch (a.kind) {
        case Action::start_connection:
          send(impl->codec->connection_started());
          break;
        case Action::start: {
          if (active) {  // one session at a time per connection
            send(impl->codec->session_failed(a.session, "a session is already running"));
            break;
          }
          session = impl->codec->anonymous_sessions() ? "fake-" + std::to_string(++sessions) : a.session;
          pending.clear();
          sentences.clear();
          finish_requested = false;
          fault = impl->take_fault();
          rate = impl->codec->sample_rate(a.payload);
          const std::string voice = impl->codec->voice(a.payload);
          if (fault == FakeTtsFault::session_failed || voice == "unknown_voice") {
            fault = FakeTtsFault::none;
            send(impl->codec->session_failed(a.session, "speaker permission denied"));
            break;
          }
          active = true;
          if (impl->codec->text_needs_started() && impl->opts.start_ack_delay.count() > 0) {
            started_sent = false;
            asio::co_spawn(ws->executor(), ack_later(generation, session), asio::detached);
          } else {
            started_sent = true;
            send(impl->codec->started(session));
          }
          break;
        }
        case Action::say:
          if (active && (a.session.empty() || a.session == session)) {
            if (impl->codec->text_needs_started() && !started_sent) {
              ++generation;
              active = false;
              send(impl->codec->session_failed(session, "text before the task started"));
              break;
            }
            pending += a.text;
            cut(false);
          }
          break;
        case Action::finish:
          if (active && (a.session.empty() || a.session == session)) {
            cut(true);
            finish_requested = true;
            wake.cancel();
          }
          break;
        case Action::cancel:
          if (active && (a.session.empty() || a.session == session)) {
            ++generation;
            active = false;
            sentences.clear();
            pending.clear();
            finish_requested = false;
            send(impl->codec->canceled(a.session));
          }
          break;
        case Action::finish_connection:
          send(impl->codec->connection_finished());
          closed = true;
          ws->close();
          break;
        case Action::invalid:
        case Action::none:
          break;
      }
    }
    closed = true;
    wake.cancel();
  }
};

}  // namespace

FakeDuplexTts::FakeDuplexTts(FakeDuplexVendor vendor, FakeDuplexOptions opts)
    : impl_(std::make_shared<Impl>(vendor, std::move(opts))) {
  impl_->rt.start();
  net::HttpServerOptions o;
  o.name = "fake-duplex-tts";
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
    std::map<std::string, std::string> headers = req.headers;
    auto refusal = impl->codec->check(req);
    std::lock_guard lk(impl->mu);
    impl->upgrades.push_back(std::move(headers));
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

FakeDuplexTts::~FakeDuplexTts() {
  impl_->server->stop_accepting();
  impl_->rt.stop();
}

std::string FakeDuplexTts::url() const { return "ws://127.0.0.1:" + std::to_string(port()) + impl_->codec->path(); }
std::uint16_t FakeDuplexTts::port() const { return impl_->server->port(); }

void FakeDuplexTts::fail_next_session(FakeTtsFault fault) {
  std::lock_guard lk(impl_->mu);
  impl_->faults.push_back(fault);
}

std::vector<FakeTtsReceived> FakeDuplexTts::received() const {
  std::lock_guard lk(impl_->mu);
  return impl_->got;
}

std::size_t FakeDuplexTts::count(const std::string& name) const {
  std::lock_guard lk(impl_->mu);
  std::size_t n = 0;
  for (const auto& r : impl_->got) n += r.name == name;
  return n;
}

bool FakeDuplexTts::wait_for(const std::string& name, std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lk(impl_->mu);
  return impl_->cv.wait_for(lk, timeout, [&] {
    std::size_t k = 0;
    for (const auto& r : impl_->got) k += r.name == name;
    return k >= n;
  });
}

int FakeDuplexTts::connections() const {
  std::lock_guard lk(impl_->mu);
  return impl_->connections;
}

int FakeDuplexTts::refused_upgrades() const {
  std::lock_guard lk(impl_->mu);
  return impl_->refused;
}

std::vector<std::map<std::string, std::string>> FakeDuplexTts::upgrade_headers() const {
  std::lock_guard lk(impl_->mu);
  return impl_->upgrades;
}

std::size_t FakeDuplexTts::audio_frames_sent() const {
  std::lock_guard lk(impl_->mu);
  return impl_->audio_frames;
}

int FakeDuplexTts::tokens_issued() const {
  std::lock_guard lk(impl_->mu);
  return impl_->tokens;
}

int FakeDuplexTts::token_requests_refused() const {
  std::lock_guard lk(impl_->mu);
  return impl_->tokens_refused;
}

std::size_t FakeDuplexTts::sessions_finished() const {
  std::lock_guard lk(impl_->mu);
  return impl_->finished_sessions;
}

}  // namespace xz::test
