#include "sim/load/load_device.h"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "net/http_client.h"
#include "net/mqtt_client.h"
#include "net/udp_audio_client.h"
#include "net/websocket.h"
#include "protocol/audio_framing.h"
#include "protocol/json_text.h"
#include "protocol/udp_packet.h"
#include "sim/mqtt_sim_device.h"
#include "sim/ota_check.h"

namespace xz::sim {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

constexpr auto kFrame = std::chrono::milliseconds(UplinkClip::kFrameMs);
constexpr auto kHelloTimeout = 10s;  // the firmware waits this long for the server hello
constexpr int kPrebufferFrames = 5;  // the server's burst before pacing starts
constexpr double kLateMs = 5.0;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

net::HttpClientOptions without_idle_connections() {
  net::HttpClientOptions o;
  o.max_idle_per_host = 0;
  return o;
}

}  // namespace

std::string spread_url(const std::string& url, std::size_t index, int spread) {
  if (spread <= 1) return url;
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->host() != "127.0.0.1")
    throw std::invalid_argument("--spread-hosts needs a ws://127.0.0.1:PORT/... URL, not " + url);
  boost::urls::url u(*parsed);
  u.set_host_ipv4(boost::urls::ipv4_address(static_cast<std::uint32_t>((127u << 24) | (1u + index % static_cast<std::size_t>(spread)))));
  return std::string(u.buffer());
}

LoadLoop::LoadLoop(asio::any_io_executor executor, const LoadOptions& options, const UplinkClip* uplink, TurnPlan p)
    : ex(executor),
      opts(options),
      clip(uplink),
      plan(p),
      mcp(options.board_tools),
      http(std::make_unique<net::HttpClient>(without_idle_connections())),
      release(executor) {}

LoadLoop::~LoadLoop() = default;

LoadDevice::LoadDevice(LoadLoop& loop, std::size_t index, DeviceEvents events)
    : loop_(loop),
      index_(index),
      events_(std::move(events)),
      device_id_(random_mac()),
      client_id_(random_uuid()),
      notify_(loop.ex, Clock::time_point::max()) {
  ++loop_.alive;
}

LoadDevice::~LoadDevice() {
  if (ws_) ws_->abort();
  if (mqtt_) mqtt_->abort();
  udp_.reset();
  --loop_.alive;
}

bool LoadDevice::connected() const {
  if (mqtt_) return mqtt_->is_open() && !reader_done_;
  return ws_ && ws_->is_open() && !reader_done_;
}

void LoadDevice::send_json(const Json& j) {
  if (mqtt_)
    mqtt_->publish(publish_topic_, j.dump());
  else if (ws_)
    ws_->send_text(j.dump());
}

void LoadDevice::hang_up() {
  hanging_up_ = true;
  mic_on_ = false;
  if (ws_) ws_->abort();  // the firmware drops the TCP connection without a close frame
  if (mqtt_) mqtt_->abort();
  udp_.reset();
}

asio::awaitable<void> LoadDevice::run(std::shared_ptr<LoadDevice> self) {
  auto& m = self->loop_.metrics;
  ++m.devices;
  bool ok = false;
  try {
    ok = co_await self->connect();
  } catch (const std::exception&) {
    ok = false;
  }
  if (self->events_.settled) self->events_.settled(ok);
  bool completed = false;
  if (ok) {
    try {
      if (self->loop_.opts.mode == LoadMode::idle) {
        co_await self->hold();
        completed = true;
      } else {
        int turns = 0;
        for (; turns < self->loop_.opts.turns; ++turns) {
          if (turns == 0 && self->events_.first_turn_started) self->events_.first_turn_started();
          if (!co_await self->one_turn()) break;
        }
        completed = turns == self->loop_.opts.turns;
      }
    } catch (const std::exception&) {
      // A broken connection ends this device early; the counters already say how far it got.
    }
  }
  if (self->counted_live_) --self->loop_.live;
  self->hang_up();
  if (self->events_.done) self->events_.done(completed);
}

asio::awaitable<bool> LoadDevice::connect() {
  auto& m = loop_.metrics;
  const auto& o = loop_.opts;
  Json ota_body;
  if (!o.ota_url.empty()) {
    const auto t0 = Clock::now();
    try {
      DeviceProfile profile;
      profile.device_id = device_id_;
      profile.client_id = client_id_;
      std::string url = o.ota_url;
      auto answer = co_await check_ota(*loop_.http, std::move(url), profile);
      if (answer.status == 200) {
        m.ota_ms.add(ms_between(t0, Clock::now()));
        ota_body = answer.body;
        if (auto ws = answer.body.find("websocket"); ws != answer.body.end() && ws->is_object())
          token_ = ws->value("token", std::string());
      } else {
        ++m.ota_failed;
      }
    } catch (const std::exception&) {
      ++m.ota_failed;  // the firmware goes on with the server it knows
    }
  }

  if (o.transport == LoadTransport::mqtt) co_return co_await connect_mqtt(ota_body);

  net::WsClientOptions wo;
  if (!token_.empty()) wo.headers["Authorization"] = "Bearer " + token_;
  wo.headers["Client-Id"] = client_id_;
  wo.headers["Device-Id"] = device_id_;
  wo.headers["Protocol-Version"] = std::to_string(o.protocol_version);
  wo.max_message_bytes = 64 * 1024;
  wo.max_queued_bytes = 256 * 1024;
  std::string url = spread_url(o.url, index_, o.spread_hosts);
  const auto t0 = Clock::now();
  try {
    ws_ = co_await net::ws_connect(std::move(url), std::move(wo));
  } catch (const std::exception&) {
    ++m.connect_failed;
    co_return false;
  }
  m.connect_ms.add(ms_between(t0, Clock::now()));
  reader_done_ = false;
  asio::co_spawn(loop_.ex, reader(shared_from_this(), ws_), asio::detached);

  Json hello = {{"type", "hello"},
                {"version", o.protocol_version},
                {"features", {{"aec", false}, {"mcp", true}, {"glyph_push", false}}},
                {"transport", "websocket"},
                {"audio_params", {{"format", "opus"}, {"sample_rate", 16000}, {"channels", 1}, {"frame_duration", 60}}}};
  hello_sent_ = Clock::now();
  send_json(hello);
  if (!co_await wait_until(Until::hello, hello_sent_ + kHelloTimeout)) {
    ++m.hello_timeouts;
    co_return false;
  }
  ++m.hello_ok;
  ++loop_.live;
  counted_live_ = true;
  co_return true;
}

asio::awaitable<bool> LoadDevice::connect_mqtt(const Json& ota_body) {
  auto& m = loop_.metrics;
  const auto& o = loop_.opts;
  auto settings = ota_body.is_object() ? mqtt_settings_from_ota(ota_body) : std::nullopt;
  if (!settings || settings->endpoint.empty()) {
    ++m.connect_failed;  // no mqtt block: the firmware would fall back to WebSocket
    co_return false;
  }
  publish_topic_ = settings->publish_topic;
  // esp-mqtt as the firmware configures it (as MqttSimDevice::connect).
  net::MqttClientOptions mo;
  const std::string& ep = settings->endpoint;
  auto colon = ep.rfind(':');
  mo.host = colon == std::string::npos ? ep : ep.substr(0, colon);
  mo.port = colon == std::string::npos ? 8883 : static_cast<std::uint16_t>(std::stoi(ep.substr(colon + 1)));
  mo.tls = mo.port == 8883;
  mo.client_id = settings->client_id;
  mo.username = settings->username;
  mo.password = settings->password;
  mo.keep_alive_seconds = static_cast<std::uint16_t>(settings->keepalive);
  mo.connect_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kHelloTimeout);
  const auto t0 = Clock::now();
  try {
    mqtt_ = co_await net::MqttClient::connect(std::move(mo));
  } catch (const std::exception&) {
    ++m.connect_failed;
    co_return false;
  }
  m.connect_ms.add(ms_between(t0, Clock::now()));
  reader_done_ = false;
  asio::co_spawn(loop_.ex, mqtt_reader(shared_from_this(), mqtt_), asio::detached);

  if (o.mode != LoadMode::idle) {
    // MqttProtocol::GetHelloMessage(): version 3, transport udp.
    hello_sent_ = Clock::now();
    send_json({{"type", "hello"},
               {"version", 3},
               {"transport", "udp"},
               {"features", {{"aec", false}, {"mcp", true}, {"glyph_push", false}}},
               {"audio_params", {{"format", "opus"}, {"sample_rate", 16000}, {"channels", 1}, {"frame_duration", 60}}}});
    if (!co_await wait_until(Until::hello, hello_sent_ + kHelloTimeout)) {
      ++m.hello_timeouts;
      co_return false;
    }
  }
  // An idle MQTT device holds only its login: hello_ok then counts logged-in devices.
  ++m.hello_ok;
  ++loop_.live;
  counted_live_ = true;
  co_return true;
}

bool LoadDevice::open_udp(const Json& hello) {
  auto cfg = udp_channel_from_hello(hello);
  if (!cfg) return false;
  try {
    std::weak_ptr<LoadDevice> weak = weak_from_this();
    auto udp = std::make_unique<net::UdpAudioClient>(loop_.ex, *cfg, [weak](protocol::UdpPacket) {
      if (auto self = weak.lock()) self->on_binary();  // no decoder, as on WebSocket
    });
    udp->open();
    udp_ = std::move(udp);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

asio::awaitable<void> LoadDevice::hold() {
  const auto& o = loop_.opts;
  if (o.hold_each_s) {
    auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*o.hold_each_s));
    co_await wait_until(Until::never, until);
  } else {
    co_await loop_.release.wait();
  }
  if (connected()) ++loop_.metrics.held_at_release;
}

asio::awaitable<bool> LoadDevice::one_turn() {
  const auto& o = loop_.opts;
  auto& m = loop_.metrics;
  if (!connected()) co_return false;
  turn_ = Turn{};
  ++generation_;
  state_ = State::listening;
  send_json({{"session_id", session_id_}, {"type", "listen"}, {"state", "start"}, {"mode", "auto"}});
  mic_on_ = true;
  asio::co_spawn(loop_.ex, uplink(shared_from_this(), generation_), asio::detached);

  const auto deadline = Clock::now() + kFrame * static_cast<long>(loop_.plan.eos_packet + 1) + o.reply_timeout;
  if (o.mode == LoadMode::barge_in) {
    co_await wait_until(Until::first_frame_or_stop, deadline);
    if (turn_.first_frame && !turn_.tts_stop) {
      co_await wait_until(Until::tts_stop, *turn_.first_frame + o.abort_after);
      if (turn_.tts_stop) {
        ++m.replies_before_abort;
      } else if (connected()) {
        // The button abort: no reason, and the device stays in speaking until tts stop.
        send_json({{"session_id", session_id_}, {"type", "abort"}});
        turn_.abort_sent = Clock::now();
      }
    }
  }
  co_await wait_until(Until::tts_stop, deadline);
  mic_on_ = false;
  if (!turn_.tts_stop) {
    if (connected()) ++m.turns_timed_out;
    co_return false;
  }
  // Auto mode: listening again once the playback queue has drained.
  co_await wait_until(Until::never, std::max(play_end_, Clock::now()));
  finish_turn();
  co_return connected();
}

void LoadDevice::finish_turn() {
  auto& m = loop_.metrics;
  const auto& t = turn_;
  if (t.first_frame) {
    if (t.eos_sent) m.eos_to_first_frame_ms.add(ms_between(*t.eos_sent, *t.first_frame));
    if (t.vad_sent && t.tts_start && *t.vad_sent <= *t.tts_start) {
      const double v = ms_between(*t.vad_sent, *t.first_frame);
      m.vad_to_first_frame_ms.add(v);
      m.server_added_ms.add(v - loop_.opts.provider_delay_ms);
    } else {
      ++m.vad_mismatches;  // the server answered before the packet its VAD should have needed
    }
    if (t.stt && t.vad_sent) m.vad_to_stt_ms.add(ms_between(*t.vad_sent, *t.stt));
  }
  if (t.abort_sent) {
    if (t.tts_stop) m.abort_to_tts_stop_ms.add(std::max(0.0, ms_between(*t.abort_sent, *t.tts_stop)));
    m.abort_to_last_frame_ms.add(t.last_frame_after_abort ? ms_between(*t.abort_sent, *t.last_frame_after_abort) : 0.0);
  }
  ++m.turns_ok;
}

bool LoadDevice::reached(Until what) const {
  switch (what) {
    case Until::hello:
      return hello_at_.has_value();
    case Until::first_frame_or_stop:
      return turn_.first_frame || turn_.tts_stop;
    case Until::tts_stop:
      return turn_.tts_stop.has_value();
    case Until::never:
      return false;
  }
  return false;
}

asio::awaitable<bool> LoadDevice::wait_until(Until what, Clock::time_point deadline) {
  while (!reached(what)) {
    if (reader_done_ || Clock::now() >= deadline) co_return false;
    notify_.expires_at(deadline);
    co_await notify_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return true;
}

asio::awaitable<void> LoadDevice::reader(std::shared_ptr<LoadDevice> self, std::shared_ptr<net::WebSocket> ws) {
  for (;;) {
    auto msg = co_await ws->read();
    if (!msg) break;
    if (msg->oversize) continue;
    if (msg->binary)
      self->on_binary();
    else
      self->on_text(msg->data);
  }
  if (ws == self->ws_) self->reader_ended();
  self->notify_.cancel();
}

asio::awaitable<void> LoadDevice::mqtt_reader(std::shared_ptr<LoadDevice> self, std::shared_ptr<net::MqttClient> mqtt) {
  for (;;) {
    auto msg = co_await mqtt->receive();
    if (!msg) break;
    self->on_text(msg->payload);
  }
  if (mqtt == self->mqtt_) {
    self->udp_.reset();
    self->reader_ended();
  }
  self->notify_.cancel();
}

void LoadDevice::reader_ended() {
  reader_done_ = true;
  mic_on_ = false;
  state_ = State::idle;
  if (!hanging_up_) ++loop_.metrics.closed_by_server;
}

asio::awaitable<void> LoadDevice::uplink(std::shared_ptr<LoadDevice> self, std::uint64_t generation) {
  auto& m = self->loop_.metrics;
  const auto& clip = *self->loop_.clip;
  const auto framing = protocol::framing_for_version(self->loop_.opts.protocol_version);
  asio::steady_timer timer(self->loop_.ex);
  // The first packet leaves once the microphone has captured one frame.
  auto due = Clock::now() + kFrame;
  for (std::size_t i = 0;; ++i) {
    timer.expires_at(due);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (generation != self->generation_ || !self->mic_on_ || !self->connected()) co_return;
    const auto now = Clock::now();
    m.uplink_lateness_ms.add(ms_between(due, now));
    if (self->mqtt_) {
      if (!self->udp_) co_return;  // the server's goodbye closed the channel
      self->udp_->send(clip.at(i), static_cast<std::uint32_t>(i * UplinkClip::kFrameMs));
    } else {
      self->ws_->send_binary(protocol::encode_audio_frame(framing, clip.at(i), 0, 0));
    }
    ++m.uplink_packets;
    if (i == self->loop_.plan.eos_packet) self->turn_.eos_sent = now;
    if (i == self->loop_.plan.vad_packet) self->turn_.vad_sent = now;
    due += kFrame;
  }
}

void LoadDevice::on_binary() {
  auto& m = loop_.metrics;
  const auto now = Clock::now();
  if (turn_.abort_sent) turn_.last_frame_after_abort = now;
  if (state_ != State::speaking) {
    ++m.frames_outside_speaking;  // the firmware drops these
    return;
  }
  ++m.frames;
  ++turn_.frames;
  if (!turn_.first_frame) {
    turn_.first_frame = now;
  } else if (turn_.frames > kPrebufferFrames) {
    const double late = ms_between(*turn_.last_frame, now) - UplinkClip::kFrameMs;
    m.frame_lateness_ms.add(late);
    if (late > kLateMs) ++m.frames_late_5ms;
  }
  turn_.last_frame = now;
  play_end_ = std::max(play_end_, now) + kFrame;
  if (turn_.frames == 1) notify_.cancel();
}

void LoadDevice::on_text(const std::string& text) {
  Json j = protocol::parse_json_text(text);
  if (j.is_discarded() || !j.is_object()) return;  // the firmware logs and ignores these
  const auto now = Clock::now();
  const std::string type = j.value("type", "");
  if (type == "hello") {
    if (mqtt_ && (hello_at_ || !open_udp(j))) return;  // ParseServerHello refused it: the device times out
    if (!hello_at_) {
      hello_at_ = now;
      session_id_ = j.value("session_id", "");
      loop_.metrics.hello_ms.add(ms_between(hello_sent_, now));
      if (state_ == State::connecting) state_ = State::idle;
      notify_.cancel();
    }
  } else if (type == "goodbye") {
    // Current firmware closes the channel only for its own session id; MQTT stays.
    if (udp_ && j.value("session_id", Json()) == session_id_) {
      udp_.reset();
      mic_on_ = false;
      state_ = State::idle;
      notify_.cancel();
    }
  } else if (type == "mcp") {
    if (auto reply = loop_.mcp.handle(j.value("payload", Json::object()))) {
      send_json({{"session_id", session_id_}, {"type", "mcp"}, {"payload", *reply}});
      ++loop_.metrics.mcp_answers;
    }
  } else if (type == "stt") {
    if (!turn_.stt) turn_.stt = now;
  } else if (type == "tts") {
    const std::string st = j.value("state", "");
    if (st == "start" && (state_ == State::idle || state_ == State::listening)) {
      state_ = State::speaking;
      mic_on_ = false;  // the firmware stops the microphone while it speaks (auto mode, no AEC)
      turn_.tts_start = now;
    } else if (st == "stop" && state_ == State::speaking) {
      state_ = State::listening;
      turn_.tts_stop = now;
      notify_.cancel();
    }
  }
}

}  // namespace xz::sim
