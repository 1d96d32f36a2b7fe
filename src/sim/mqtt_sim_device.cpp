#include "sim/mqtt_sim_device.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "audio/opus_decoder.h"
#include "audio/opus_encoder.h"
#include "net/mqtt_client.h"
#include "net/udp_audio_client.h"
#include "protocol/json_text.h"
#include "protocol/udp_packet.h"

namespace xz::sim {

namespace asio = boost::asio;

namespace {
double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}
}  // namespace

std::optional<net::UdpAudioClientConfig> udp_channel_from_hello(const Json& hello) {
  if (hello.value("transport", Json()) != "udp") return std::nullopt;
  auto u = hello.find("udp");
  if (u == hello.end() || !u->is_object()) return std::nullopt;
  auto server = u->find("server"), port = u->find("port"), key = u->find("key"), nonce = u->find("nonce");
  if (server == u->end() || !server->is_string() || port == u->end() || !port->is_number_integer() ||
      key == u->end() || !key->is_string() || nonce == u->end() || !nonce->is_string())
    return std::nullopt;
  const auto p = port->get<long long>();
  if (p < 1 || p > 65535) return std::nullopt;
  return net::UdpAudioClientConfig{server->get<std::string>(), static_cast<std::uint16_t>(p),
                                   key->get<std::string>(), nonce->get<std::string>()};
}

std::optional<MqttSettings> mqtt_settings_from_ota(const Json& ota) {
  auto m = ota.find("mqtt");
  if (m == ota.end() || !m->is_object()) return std::nullopt;
  MqttSettings s;
  auto str = [&](const char* key) {
    auto it = m->find(key);
    return it != m->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  s.endpoint = str("endpoint");
  s.client_id = str("client_id");
  s.username = str("username");
  s.password = str("password");
  if (auto t = str("publish_topic"); !t.empty()) s.publish_topic = t;
  if (auto k = m->find("keepalive"); k != m->end() && k->is_number_integer()) s.keepalive = k->get<int>();
  return s;
}

MqttSimDevice::MqttSimDevice(asio::any_io_executor ex, DeviceProfile profile)
    : ex_(std::move(ex)), profile_(std::move(profile)), notify_(ex_, Clock::time_point::max()) {
  if (profile_.device_id.empty()) profile_.device_id = random_mac();
  if (profile_.client_id.empty()) profile_.client_id = random_uuid();
}

MqttSimDevice::~MqttSimDevice() {
  if (mqtt_) mqtt_->abort();
  udp_.reset();
}

bool MqttSimDevice::mqtt_connected() const { return mqtt_ && mqtt_->is_open() && !reader_done_; }

asio::awaitable<void> MqttSimDevice::connect(MqttConnectOptions opts) {
  opts_ = std::move(opts);
  // esp-mqtt as the firmware configures it: endpoint host[:port], port 8883 = TLS.
  net::MqttClientOptions mo;
  const std::string& ep = opts_.mqtt.endpoint;
  auto colon = ep.rfind(':');
  mo.host = colon == std::string::npos ? ep : ep.substr(0, colon);
  mo.port = colon == std::string::npos ? 8883 : static_cast<std::uint16_t>(std::stoi(ep.substr(colon + 1)));
  mo.tls = mo.port == 8883;
  mo.client_id = opts_.mqtt.client_id;
  mo.username = opts_.mqtt.username;
  mo.password = opts_.mqtt.password;
  mo.keep_alive_seconds = static_cast<std::uint16_t>(opts_.mqtt.keepalive);
  mo.connect_timeout = opts_.connect_timeout;
  auto mqtt = co_await net::MqttClient::connect(std::move(mo));
  mqtt_ = mqtt;
  reader_done_ = false;
  state_ = "idle";
  asio::co_spawn(ex_, reader(mqtt), asio::detached);
  if (opts_.send_hello) send_hello();
}

void MqttSimDevice::send_hello() {
  // MqttProtocol::GetHelloMessage(); a new hello is a new channel.
  close_channel();
  server_hello_ = nullptr;
  hello_latency_ms_.reset();
  state_ = "connecting";
  hello_sent_at_ = Clock::now();
  send_json({{"type", "hello"},
             {"version", 3},
             {"transport", "udp"},
             {"features", {{"aec", opts_.aec}, {"mcp", opts_.mcp}, {"glyph_push", false}}},
             {"audio_params",
              {{"format", "opus"}, {"sample_rate", 16000}, {"channels", 1}, {"frame_duration", opts_.uplink_frame_ms}}}});
}

asio::awaitable<std::optional<Json>> MqttSimDevice::wait_hello(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (server_hello_.is_null()) {
    if (reader_done_ || Clock::now() >= deadline) co_return std::nullopt;
    notify_.expires_at(deadline);
    co_await notify_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return server_hello_;
}

void MqttSimDevice::goodbye() {
  // MqttProtocol::CloseAudioChannel(): goodbye, then the UDP socket goes; MQTT stays.
  send_json({{"session_id", session_id_}, {"type", "goodbye"}});
  close_channel();
  state_ = "idle";
}

bool MqttSimDevice::open_channel(const Json& hello) {
  auto cfg = udp_channel_from_hello(hello);
  if (!cfg) return false;
  try {
    std::weak_ptr<bool> alive = alive_;
    auto udp = std::make_unique<net::UdpAudioClient>(ex_, *cfg, [this, alive](protocol::UdpPacket packet) {
      if (alive.lock()) on_audio(packet.opus);
    });
    udp->open();
    udp_ = std::move(udp);
  } catch (const std::exception&) {
    return false;  // the firmware ignores such a hello and times out
  }
  return true;
}

void MqttSimDevice::close_channel() {
  if (udp_) udp_->close();
  udp_.reset();
}

void MqttSimDevice::send_json(const Json& j) {
  if (mqtt_) mqtt_->publish(opts_.mqtt.publish_topic, j.dump());
}

void MqttSimDevice::send_text(std::string raw) {
  if (mqtt_) mqtt_->publish(opts_.mqtt.publish_topic, raw);
}

void MqttSimDevice::listen_start(std::string mode) {
  listen_mode_ = mode;
  state_ = "listening";
  send_json({{"session_id", session_id_}, {"type", "listen"}, {"state", "start"}, {"mode", mode}});
}

void MqttSimDevice::listen_stop() {
  send_json({{"session_id", session_id_}, {"type", "listen"}, {"state", "stop"}});
  if (listen_mode_ == "manual") {
    state_ = "idle";
    if (!pending_) pending_.emplace();
    pending_->end_of_speech = Clock::now();
  }
}

void MqttSimDevice::listen_detect(std::string text) {
  if (!pending_) pending_.emplace();
  pending_->end_of_speech = Clock::now();
  send_json({{"session_id", session_id_}, {"type", "listen"}, {"state", "detect"}, {"text", text}});
}

void MqttSimDevice::abort(std::string reason) {
  Json j = {{"session_id", session_id_}, {"type", "abort"}};
  if (!reason.empty()) j["reason"] = reason;
  send_json(j);
}

void MqttSimDevice::send_opus(std::string_view opus, std::uint32_t timestamp) {
  if (udp_) udp_->send(opus, timestamp);
}

asio::awaitable<void> MqttSimDevice::speak(const std::vector<std::int16_t>& speech,
                                           std::chrono::milliseconds trailing_silence) {
  const int frame_ms = opts_.uplink_frame_ms;
  if (!encoder_ || encoder_->frame_ms() != frame_ms) {
    // The firmware's uplink encoder: 16 kHz, complexity 0, automatic bitrate, DTX on.
    encoder_ = std::make_unique<audio::OpusEncoder>(16000, frame_ms, 0, audio::OpusEncoder::kBitrateAuto);
    encoder_->set_dtx(true);
  }
  const std::size_t n = static_cast<std::size_t>(encoder_->frame_samples());
  std::vector<std::int16_t> pcm = speech;
  const std::size_t speech_frames = (pcm.size() + n - 1) / n;
  pcm.resize(speech_frames * n, 0);
  pcm.resize(pcm.size() + static_cast<std::size_t>(trailing_silence.count()) * 16, 0);
  pcm.resize((pcm.size() + n - 1) / n * n, 0);
  asio::steady_timer timer(ex_);
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i * n < pcm.size(); ++i) {
    if (!udp_) co_return;
    timer.expires_at(t0 + std::chrono::milliseconds(frame_ms) * static_cast<long>(i));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    send_opus(encoder_->encode(std::span<const std::int16_t>(pcm.data() + i * n, n)));
    if (i + 1 == speech_frames) {
      if (!pending_) pending_.emplace();
      pending_->end_of_speech = Clock::now();
    }
  }
}

void MqttSimDevice::notify() { notify_.cancel(); }

asio::awaitable<std::optional<Json>> MqttSimDevice::wait_for(std::function<bool(const Json&)> pred,
                                                             std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    for (; cursor_ < inbox_.size(); ++cursor_)
      if (pred(inbox_[cursor_].json)) co_return inbox_[cursor_++].json;
    if (reader_done_ || Clock::now() >= deadline) co_return std::nullopt;
    notify_.expires_at(deadline);
    co_await notify_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<std::optional<Json>> MqttSimDevice::wait_type(std::string type, std::string state,
                                                              std::chrono::milliseconds timeout) {
  return wait_for(
      [type, state](const Json& j) {
        return j.value("type", "") == type && (state.empty() || j.value("state", "") == state);
      },
      timeout);
}

asio::awaitable<bool> MqttSimDevice::wait_channel_closed(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (udp_ && !reader_done_) {
    if (Clock::now() >= deadline) co_return false;
    notify_.expires_at(deadline);
    co_await notify_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return true;
}

void MqttSimDevice::drop_connection() {
  if (mqtt_) mqtt_->abort();
  close_channel();
}

asio::awaitable<void> MqttSimDevice::disconnect() {
  close_channel();
  if (!mqtt_) co_return;
  auto mqtt = mqtt_;
  mqtt->disconnect();
  co_await mqtt->wait_closed();
}

asio::awaitable<void> MqttSimDevice::reader(std::shared_ptr<net::MqttClient> mqtt) {
  std::weak_ptr<bool> alive = alive_;
  for (;;) {
    auto msg = co_await mqtt->receive();
    if (!alive.lock()) co_return;
    if (!msg) break;
    on_text(msg->payload);  // whatever the topic: the firmware subscribes to nothing
    notify();
  }
  if (mqtt == mqtt_) {
    reader_done_ = true;
    close_channel();
    state_ = "idle";
  }
  notify();
}

TurnRecord& MqttSimDevice::current_turn() {
  if (turns_.empty()) turns_.emplace_back();
  return turns_.back();
}

void MqttSimDevice::on_text(const std::string& text) {
  Json j = protocol::parse_json_text(text);
  if (j.is_discarded() || !j.is_object()) return;
  auto now = Clock::now();
  inbox_.push_back({now, j});
  const std::string type = j.value("type", "");
  const std::string st = j.value("state", "");
  if (type == "hello") {
    if (state_ != "connecting" || !open_channel(j)) return;  // ignored: the device times out
    server_hello_ = j;
    session_id_ = j.value("session_id", "");
    if (auto ap = j.find("audio_params"); ap != j.end() && ap->is_object()) {
      downlink_rate_ = ap->value("sample_rate", 24000);
      downlink_frame_ms_ = ap->value("frame_duration", 60);
    }
    hello_latency_ms_ = ms_between(hello_sent_at_, now);
    state_ = "idle";
  } else if (type == "goodbye") {
    // Current firmware closes the channel only for its own session id.
    if (udp_ && j.value("session_id", Json()) == session_id_) {
      close_channel();
      state_ = "idle";
    }
  } else if (type == "mcp") {
    if (auto reply = mcp_.handle(j.value("payload", Json::object())))
      send_json({{"session_id", session_id_}, {"type", "mcp"}, {"payload", *reply}});
  } else if (type == "stt" && j.value("text", "").rfind("% ", 0) != 0) {
    if (!pending_) pending_.emplace();
    pending_->stt_at = now;
    pending_->stt_text = j.value("text", "");
  } else if (type == "llm") {
    if (state_ == "speaking") current_turn().emotion = j.value("emotion", "");
    else if (pending_) pending_->emotion = j.value("emotion", "");
  } else if (type == "tts" && st == "start") {
    if (state_ == "idle" || state_ == "listening") {
      turns_.push_back(pending_.value_or(TurnRecord{}));
      pending_.reset();
      turns_.back().tts_start_at = now;
      state_ = "speaking";
      decoder_ = std::make_unique<audio::OpusDecoder>(downlink_rate_, 1);
    }
  } else if (type == "tts" && st == "sentence_start") {
    if (state_ == "speaking") current_turn().sentences.push_back(j.value("text", ""));
  } else if (type == "tts" && st == "stop") {
    if (state_ == "speaking") {
      current_turn().tts_stop_at = now;
      state_ = listen_mode_ == "manual" ? "idle" : "listening";
    } else if (pending_) {
      turns_.push_back(*pending_);
      pending_.reset();
      turns_.back().tts_stop_at = now;
    }
  }
}

void MqttSimDevice::on_audio(std::string_view opus) {
  auto now = Clock::now();
  if (state_ != "speaking") {
    ++frames_outside_speaking_;  // the firmware drops these
    return;
  }
  auto& t = current_turn();
  std::string error;
  if (!decoder_) decoder_ = std::make_unique<audio::OpusDecoder>(downlink_rate_, 1);
  auto pcm = decoder_->decode(opus, &error);
  if (!pcm) {
    ++t.undecodable_frames;
    return;
  }
  if (pcm->size() > static_cast<std::size_t>(downlink_rate_ / 1000 * downlink_frame_ms_)) ++t.oversize_frames;
  ++t.frames;
  t.samples += pcm->size();
  if (!t.first_audio_at) t.first_audio_at = now;
  if (t.last_audio_at) t.gaps_ms.push_back(ms_between(*t.last_audio_at, now));
  t.last_audio_at = now;
}

Json MqttSimDevice::report() const {
  Json turns = Json::array();
  for (const auto& t : turns_)
    turns.push_back({{"stt", t.stt_text},
                     {"sentences", t.sentences},
                     {"frames", t.frames},
                     {"undecodable_frames", t.undecodable_frames}});
  return {{"device_id", profile_.device_id},
          {"transport", "mqtt"},
          {"session_id", session_id_},
          {"hello_latency_ms", hello_latency_ms_ ? Json(*hello_latency_ms_) : Json(nullptr)},
          {"frames_outside_speaking", frames_outside_speaking_},
          {"turns", turns}};
}

}  // namespace xz::sim
