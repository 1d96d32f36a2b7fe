#include "session/session.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "protocol/encoding.h"
#include "protocol/server_messages.h"

namespace xz::session {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// The session's place in the registry, given up when this goes out of scope however
// that happens: a normal end, an exception from the cleanup, or the coroutine frame
// destroyed with its loop. A dead session left registered would be counted as live,
// pushed to, and waited for by shutdown.
class Registration {
 public:
  Registration(SessionRegistry& registry, const std::string& device_id, const std::string& session_id)
      : registry_(registry), device_id_(device_id), session_id_(session_id) {}
  ~Registration() {
    try {
      registry_.remove(device_id_, session_id_);
    } catch (...) {  // a destructor must not throw; remove() only locks and erases
    }
  }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

 private:
  SessionRegistry& registry_;
  const std::string& device_id_;   // the session's own members: it outlives run()'s frame
  const std::string& session_id_;
};

}  // namespace

class Session::Control : public SessionControl {
 public:
  Control(std::weak_ptr<Session> s, asio::any_io_executor ex) : s_(std::move(s)), ex_(std::move(ex)) {}
  void request_abort(std::string reason) override {
    asio::post(ex_, [w = s_, reason = std::move(reason)]() mutable {
      if (auto s = w.lock()) s->abort(std::move(reason));
    });
  }
  void request_close(std::string reason, bool after_turn) override {
    asio::post(ex_, [w = s_, reason = std::move(reason), after_turn]() mutable {
      if (auto s = w.lock()) {
        if (after_turn)
          s->close_after_turn(std::move(reason));
        else
          s->close(std::move(reason));
      }
    });
  }

  asio::awaitable<bool> speak(std::string text) override {
    co_return co_await asio::co_spawn(ex_, speak_on(s_, std::move(text)), asio::use_awaitable);
  }
  asio::awaitable<protocol::McpCallOutcome> call_device_tool(std::string name, nlohmann::json arguments) override {
    co_return co_await asio::co_spawn(ex_, call_on(s_, std::move(name), std::move(arguments)), asio::use_awaitable);
  }
  asio::awaitable<nlohmann::json> describe_tools() override {
    co_return co_await asio::co_spawn(ex_, describe_on(s_), asio::use_awaitable);
  }
  void config_changed() override {
    asio::post(ex_, [w = s_] {
      if (auto s = w.lock(); s && !s->closed_ && s->conversation_) s->conversation_->on_config_changed();
    });
  }

 private:
  // These run on the session's executor (where its members may be touched).
  static std::shared_ptr<Session> live(const std::weak_ptr<Session>& w) {
    auto s = w.lock();
    if (!s || s->closed_ || !s->hello_done_ || !s->conversation_)
      throw std::runtime_error("the device's session has ended or has not said hello yet");
    return s;
  }
  static asio::awaitable<bool> speak_on(std::weak_ptr<Session> w, std::string text) {
    auto s = live(w);
    co_return s->conversation_->speak(std::move(text));
  }
  static asio::awaitable<protocol::McpCallOutcome> call_on(std::weak_ptr<Session> w, std::string name,
                                                          nlohmann::json arguments) {
    auto s = live(w);
    co_return co_await s->conversation_->call_device_tool(std::move(name), std::move(arguments));
  }
  static asio::awaitable<nlohmann::json> describe_on(std::weak_ptr<Session> w) {
    auto s = live(w);
    co_return s->conversation_->describe_tools();
  }

  std::weak_ptr<Session> s_;
  asio::any_io_executor ex_;
};

Session::Session(SessionDeps deps, std::unique_ptr<DeviceLink> link, DeviceIdentity identity)
    : deps_(std::move(deps)),
      link_(std::move(link)),
      identity_(std::move(identity)),
      session_id_(protocol::random_alnum(16)),
      log_(identity_.device_key, session_id_),
      watchdog_timer_(link_->executor()) {}

Session::~Session() = default;

void Session::register_session() {
  SessionInfo info;
  info.device_id = identity_.device_key;
  info.client_id = identity_.client_id;
  info.session_id = session_id_;
  info.transport = link_->transport();
  info.protocol_version = identity_.protocol_version;
  info.since = std::chrono::system_clock::now();
  info.remote_ip = identity_.remote_ip;
  if (auto old = deps_.registry.add(info, control_)) {
    log_.info("device reconnected: replacing its previous session");
    old->request_close("replaced by a new connection from the same device", false);
  }
  log_.info("connected from {} over {} (client {}, protocol v{}{})", identity_.remote_ip, link_->transport(),
            identity_.client_id.empty() ? "-" : identity_.client_id, identity_.protocol_version,
            identity_.from_mqtt_gateway ? ", via MQTT gateway" : "");
}

asio::awaitable<void> Session::run() {
  auto self = shared_from_this();
  connected_at_ = last_activity_ = Clock::now();
  control_ = std::make_shared<Control>(weak_from_this(), link_->executor());
  Registration registration(deps_.registry, identity_.device_key, session_id_);
  register_session();  // not inline: its locals would live in this coroutine's frame
  watch();

  std::string end_reason;
  for (;;) {
    auto in = co_await link_->receive();
    if (in.kind == DeviceInput::Kind::ended) {
      end_reason = std::move(in.why);
      break;
    }
    if (in.kind == DeviceInput::Kind::dropped) {
      drop(in.what, in.why);
      continue;
    }
    const bool audio = in.kind == DeviceInput::Kind::audio;
    try {
      if (audio)
        on_audio(in.opus, in.timestamp_ms);
      else
        on_text(in.text);
    } catch (const std::exception& e) {
      // One bad message must not end the session.
      log_.error("handling a {} message failed: {}", audio ? "binary" : "text", e.what());
    }
  }

  if (!closed_) log_.info("{}", end_reason);
  closed_ = true;
  watchdog_timer_.cancel();
  if (conversation_) {
    try {
      co_await conversation_->stop();
    } catch (const std::exception& e) {
      // Logged here: the coroutine is detached, so an exception leaving it is never seen.
      log_.error("stopping the conversation failed: {}", e.what());
    }
  }
  log_.info("session ended after {} s",
            std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - connected_at_).count());
}

void Session::close(std::string reason) {
  if (closed_) return;
  closed_ = true;
  log_.info("closing: {}", reason);
  set_state("closing");
  link_->close(std::move(reason));
  watchdog_timer_.cancel();
}

void Session::abort(std::string reason) {
  if (!closed_) log_.info("dropping the connection: {}", reason);
  closed_ = true;
  link_->abort();
  watchdog_timer_.cancel();
}

void Session::close_after_turn(std::string reason) {
  if (closed_) return;
  if (!conversation_) {
    close(std::move(reason));
    return;
  }
  if (conversation_->busy()) log_.info("will close after the current reply: {}", reason);
  conversation_->close_session_after_reply(std::move(reason));
}

// A plain timer handler rather than a coroutine: thousands of idle sessions each
// keep one armed, and a spawned coroutine costs ten times the memory.
void Session::watch() {
  if (closed_) return;
  const auto& s = deps_.settings;
  auto now = Clock::now();
  Clock::time_point deadline;
  if (!hello_done_) {
    deadline = connected_at_ + s.hello_timeout;
    if (now >= deadline) {
      close("no hello within " + std::to_string(s.hello_timeout.count()) + " ms");
      return;
    }
  } else {
    // A reply still playing (a long answer, music, the goodbye itself) is activity, as
    // every audio packet sent is in the reference: the silence starts when it ends.
    if (conversation_ && conversation_->busy() && now - last_activity_ >= s.no_voice_timeout) note_activity();
    auto quiet = now - last_activity_;
    if (quiet >= s.no_voice_timeout + s.hard_close_after) {
      close("no activity for " + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(quiet).count()) +
            " s");
      return;
    }
    if (quiet >= s.no_voice_timeout && !goodbye_started_) {
      goodbye_started_ = true;
      log_.info("no voice for {} ms: goodbye turn, hard close in {} ms", s.no_voice_timeout.count(),
                s.hard_close_after.count());
      if (conversation_) conversation_->on_no_voice_timeout();
    }
    deadline = last_activity_ + s.no_voice_timeout + (goodbye_started_ ? s.hard_close_after : Clock::duration{});
  }
  // Woken at the deadline, or early by cancel() when the rules change (hello, close).
  watchdog_timer_.expires_at(deadline);
  watchdog_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code&) {
    if (auto self = weak.lock()) self->watch();
  });
}

void Session::drop(std::string_view what, std::string_view why) {
  ++dropped_;
  if (dropped_ <= 10 || dropped_ % 100 == 0)
    log_.warn("dropped {}: {} ({} dropped so far)", what, why, dropped_);
}

void Session::on_text(const std::string& text) {
  auto parsed = protocol::parse_device_message(text);
  if (auto* err = std::get_if<protocol::MessageError>(&parsed)) {
    drop(err->type.empty() ? std::string("message") : "'" + err->type + "' message", err->reason);
    return;
  }
  auto& msg = std::get<protocol::DeviceMessage>(parsed);
  if (auto* hello = std::get_if<protocol::HelloMsg>(&msg)) {
    on_hello(*hello);
    return;
  }
  if (auto* g = std::get_if<protocol::GoodbyeMsg>(&msg)) {
    (void)g;
    close("the device said goodbye");
    return;
  }
  if (std::holds_alternative<protocol::PingMsg>(msg)) {
    on_ping();
    return;
  }
  // The manager's own connection sends its action without a hello.
  if (auto* server = std::get_if<protocol::ServerMsg>(&msg)) {
    on_server(*server);
    return;
  }
  if (!hello_done_) {
    drop("message", "received before hello");
    return;
  }
  std::visit(
      [this](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, protocol::ListenMsg>) {
          on_listen(m);
        } else if constexpr (std::is_same_v<T, protocol::AbortMsg>) {
          on_abort(m);
        } else if constexpr (std::is_same_v<T, protocol::McpMsg>) {
          if (conversation_)
            conversation_->on_mcp(m.payload);
          else
            log_.debug("mcp message: {}", m.payload.dump());
        } else if constexpr (std::is_same_v<T, protocol::IotMsg>) {
          if (conversation_)
            conversation_->on_iot(m);
          else
            log_.debug("iot message (descriptors: {}, states: {})", !m.descriptors.is_null(),
                       !m.states.is_null());
        }
      },
      msg);
}

void Session::on_hello(const protocol::HelloMsg& hello) {
  int version = identity_.protocol_version;
  if (hello.version >= 1 && hello.version <= 3) version = hello.version;
  if (hello.audio_params) uplink_frame_ms_ = hello.audio_params->frame_duration;

  protocol::ServerHello reply;
  reply.session_id = session_id_;
  reply.version = version;
  reply.audio_params = deps_.settings.downlink;
  link_->on_hello(hello, reply);
  link_->send_text(protocol::make_server_hello(reply));

  if (!hello_done_) {
    hello_done_ = true;
    last_activity_ = Clock::now();
    deps_.registry.set_protocol(identity_.device_key, session_id_, version);
    log_.info("hello: protocol v{}, uplink {} Hz / {} ms, features mcp={} aec={}", version,
              hello.audio_params ? hello.audio_params->sample_rate : 16000, uplink_frame_ms_,
              hello.features.mcp, hello.features.aec);
    if (deps_.make_conversation)
      conversation_ = deps_.make_conversation({link_->executor(), *link_, *this, identity_, session_id_, log_});
    set_state("idle");
    watchdog_timer_.cancel();  // from the hello deadline to the no-voice deadline
  }
  if (conversation_) conversation_->on_hello(hello);
}

void Session::on_audio(std::string_view opus, std::uint32_t timestamp_ms) {
  if (!hello_done_) {
    drop("audio frame", "received before hello");
    return;
  }
  if (conversation_) conversation_->on_audio(opus, timestamp_ms);
}

void Session::on_listen(const protocol::ListenMsg& msg) {
  if (msg.state == protocol::ListenState::detect && msg.text && !msg.text->empty()) note_activity();
  if (conversation_) {
    conversation_->on_listen(msg);
    return;
  }
  log_.debug("listen {} (mode {})",
             msg.state == protocol::ListenState::start ? "start"
             : msg.state == protocol::ListenState::stop ? "stop"
                                                         : "detect",
             msg.mode ? protocol::to_string(*msg.mode) : "unchanged");
  set_state(msg.state == protocol::ListenState::start ? "listening" : "idle");
}

void Session::on_abort(const protocol::AbortMsg& msg) {
  log_.info("abort{}{}", msg.reason.empty() ? "" : ": ", msg.reason);
  if (conversation_) {
    conversation_->on_abort(msg.reason);
    return;
  }
  // The device stays in "speaking" after a button abort until it gets tts stop.
  link_->send_text(protocol::make_tts_stop(session_id_));
  set_state("idle");
}

void Session::on_ping() {
  if (!deps_.settings.ping_enabled) {
    log_.debug("ping ignored (enable_websocket_ping is off)");
    return;
  }
  note_activity();
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  link_->send_text(protocol::make_pong(session_id_, buf));
}

void Session::on_server(const protocol::ServerMsg& msg) {
  if (!deps_.server_actions) {
    // As the reference does when its configuration is not from a manager.
    log_.debug("server message '{}' ignored: no manager-api configured", msg.action);
    return;
  }
  if (server_action_running_) {
    drop("server message", "another one is being handled");
    return;
  }
  server_action_running_ = true;
  note_activity();
  log_.info("server message: action '{}'", msg.action);
  asio::co_spawn(link_->executor(), run_server_action(shared_from_this(), msg.action, msg.secret), asio::detached);
}

asio::awaitable<void> Session::run_server_action(std::shared_ptr<Session> self, std::string action, std::string secret) {
  nlohmann::json answer;
  try {
    answer = co_await self->deps_.server_actions->perform(std::move(action), std::move(secret));
  } catch (const std::exception& e) {
    answer = {{"type", "server"}, {"status", "error"}, {"message", e.what()}};
  }
  self->server_action_running_ = false;
  if (!answer.is_null() && !self->closed_) self->link_->send_text(answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void Session::note_activity() {
  last_activity_ = Clock::now();
  goodbye_started_ = false;
}

void Session::close_session(std::string reason) { close(std::move(reason)); }

void Session::set_state(std::string state) { deps_.registry.set_state(identity_.device_key, session_id_, std::move(state)); }

}  // namespace xz::session
