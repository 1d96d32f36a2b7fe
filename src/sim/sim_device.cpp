#include "sim/sim_device.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "audio/opus_decoder.h"
#include "audio/opus_encoder.h"
#include "core/async.h"
#include "net/http_client.h"
#include "net/websocket.h"
#include "protocol/audio_framing.h"
#include "protocol/encoding.h"
#include "protocol/json_text.h"
#include "sim/ota_check.h"

namespace xz::sim {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

protocol::Framing framing_of(const ConnectOptions& o) {
  return o.from_mqtt_gateway ? protocol::Framing::mqtt_gateway
                             : protocol::framing_for_version(o.protocol_version);
}

std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

std::string random_mac() {
  std::string b = protocol::random_bytes(6);
  b[0] = static_cast<char>((static_cast<unsigned char>(b[0]) & 0xfe) | 0x02);  // local, unicast
  std::string out;
  for (std::size_t i = 0; i < 6; ++i) {
    char buf[4];
    std::snprintf(buf, sizeof buf, i ? ":%02x" : "%02x", static_cast<unsigned char>(b[i]));
    out += buf;
  }
  return out;
}

std::string random_uuid() {
  std::string b = protocol::random_bytes(16);
  b[6] = static_cast<char>((static_cast<unsigned char>(b[6]) & 0x0f) | 0x40);
  b[8] = static_cast<char>((static_cast<unsigned char>(b[8]) & 0x3f) | 0x80);
  std::string h = protocol::hex_encode(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
         h.substr(20);
}

SimDevice::SimDevice(asio::any_io_executor ex, DeviceProfile profile)
    : ex_(std::move(ex)), profile_(std::move(profile)), notify_(ex_, Clock::time_point::max()) {
  if (profile_.device_id.empty()) profile_.device_id = random_mac();
  if (profile_.client_id.empty()) profile_.client_id = random_uuid();
}

SimDevice::~SimDevice() {
  if (ws_) ws_->abort();
}

bool SimDevice::connected() const { return ws_ && ws_->is_open() && !reader_done_; }

asio::awaitable<Json> SimDevice::check_ota(std::string ota_url, int* status) {
  if (!http_) http_ = std::make_unique<net::HttpClient>();
  auto answer = co_await sim::check_ota(*http_, std::move(ota_url), profile_);
  if (status) *status = answer.status;
  if (answer.body.is_null()) throw std::runtime_error("OTA answer is not JSON (HTTP " + std::to_string(answer.status) + ")");
  co_return std::move(answer.body);
}

asio::awaitable<void> SimDevice::connect(ConnectOptions opts) {
  opts_ = std::move(opts);
  net::WsClientOptions wo;
  std::string url = opts_.url;
  std::vector<std::pair<std::string, std::string>> query;
  if (opts_.identity_in_query) {
    query.emplace_back("device-id", profile_.device_id);
    query.emplace_back("client-id", profile_.client_id);
    if (!opts_.token.empty()) query.emplace_back("authorization", "Bearer " + opts_.token);
    query.emplace_back("protocol-version", std::to_string(opts_.protocol_version));
  } else {
    // Header order and names as the firmware's component sends them.
    if (!opts_.token.empty())
      wo.headers["Authorization"] =
          opts_.token.find(' ') == std::string::npos ? "Bearer " + opts_.token : opts_.token;
    wo.headers["Client-Id"] = profile_.client_id;
    wo.headers["Device-Id"] = profile_.device_id;
    wo.headers["Protocol-Version"] = std::to_string(opts_.protocol_version);
  }
  if (opts_.from_mqtt_gateway) query.emplace_back("from", "mqtt_gateway");
  for (std::size_t i = 0; i < query.size(); ++i)
    url += (i == 0 && url.find('?') == std::string::npos ? "?" : "&") + query[i].first + "=" +
           url_encode(query[i].second);

  auto ws = co_await net::ws_connect(url, wo);
  ws_ = ws;
  reader_done_ = false;
  inbox_.clear();
  cursor_ = 0;
  state_ = "connecting";
  asio::co_spawn(ex_, reader(ws), asio::detached);
  if (opts_.send_hello) send_hello();
}

void SimDevice::send_hello() {
  Json hello = {{"type", "hello"},
                {"version", opts_.from_mqtt_gateway ? 2 : opts_.protocol_version},
                {"features", {{"aec", opts_.aec}, {"mcp", opts_.mcp}, {"glyph_push", false}}},
                {"transport", "websocket"},
                {"audio_params",
                 {{"format", "opus"}, {"sample_rate", 16000}, {"channels", 1}, {"frame_duration", opts_.uplink_frame_ms}}}};
  hello_sent_at_ = Clock::now();
  send_json(hello);
}

asio::awaitable<std::optional<Json>> SimDevice::wait_hello(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (server_hello_.is_null()) {
    if (reader_done_ || Clock::now() >= deadline) co_return std::nullopt;
    notify_.expires_at(deadline);
    co_await notify_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return server_hello_;
}

asio::awaitable<void> SimDevice::take_photo(Json id, std::string question) {
  // The firmware's multipart body (device-protocol.md §5.7): the question, then the photo.
  const std::string boundary = "----ESP32_CAMERA_BOUNDARY";
  std::string image = camera_image_;
  if (image.empty()) image = std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xD9", 20);
  std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"question\"\r\n\r\n" + question +
                     "\r\n--" + boundary +
                     "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"camera.jpg\"\r\n"
                     "Content-Type: image/jpeg\r\n\r\n" +
                     image + "\r\n--" + boundary + "--\r\n";
  net::HttpClientRequest req;
  req.method = "POST";
  req.url = mcp_.vision_url();
  req.headers = {{"Device-Id", profile_.device_id},
                 {"Client-Id", profile_.client_id},
                 {"Content-Type", "multipart/form-data; boundary=" + boundary}};
  if (!mcp_.vision_token().empty()) req.headers.push_back({"Authorization", "Bearer " + mcp_.vision_token()});
  req.body = std::move(body);
  if (!camera_http_) camera_http_ = std::make_shared<net::HttpClient>();
  auto http = camera_http_;  // the device may be gone when the answer comes
  std::weak_ptr<bool> alive = alive_;
  Json reply;
  try {
    auto res = co_await http->request(std::move(req));
    if (!alive.lock()) co_return;
    last_photo_status_ = res.status;
    if (res.status / 100 == 2)
      reply = {{"jsonrpc", "2.0"}, {"id", id}, {"result", {{"content", {{{"type", "text"}, {"text", res.body}}}}, {"isError", false}}}};
    else
      reply = {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"message", "Failed to upload photo, status code: " + std::to_string(res.status)}}}};
  } catch (const std::exception& e) {
    if (!alive.lock()) co_return;
    reply = {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"message", std::string("Failed to connect to explain URL: ") + e.what()}}}};
  }
  send_json({{"session_id", session_id_}, {"type", "mcp"}, {"payload", reply}});
}

void SimDevice::send_json(const Json& j) {
  if (ws_) ws_->send_text(j.dump());
}

void SimDevice::listen_start(std::string mode) {
  listen_mode_ = mode;
  state_ = "listening";
  send_json({{"session_id", session_id_}, {"type", "listen"}, {"state", "start"}, {"mode", mode}});
}

void SimDevice::listen_stop() {
  send_json({{"session_id", session_id_}, {"type", "listen"}, {"state", "stop"}});
  if (listen_mode_ == "manual") {
    state_ = "idle";
    if (!pending_) pending_.emplace();
    pending_->end_of_speech = Clock::now();
  }
}

void SimDevice::listen_detect(std::string text) {
  if (!pending_) pending_.emplace();
  pending_->end_of_speech = Clock::now();
  send_json({{"session_id", session_id_}, {"type", "listen"}, {"state", "detect"}, {"text", text}});
}

void SimDevice::abort(std::string reason) {
  Json j = {{"session_id", session_id_}, {"type", "abort"}};
  if (!reason.empty()) j["reason"] = reason;
  send_json(j);
}

void SimDevice::send_text(std::string raw) {
  if (ws_) ws_->send_text(std::move(raw));
}

void SimDevice::send_binary(std::string raw) {
  if (ws_) ws_->send_binary(std::move(raw));
}

void SimDevice::send_opus(std::string_view opus, std::uint32_t timestamp) {
  if (ws_) ws_->send_binary(protocol::encode_audio_frame(framing_of(opts_), opus, timestamp, 0));
}

asio::awaitable<void> SimDevice::speak(const std::vector<std::int16_t>& speech,
                                       std::chrono::milliseconds trailing_silence, bool realtime) {
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
    if (!connected()) co_return;
    if (realtime) {
      auto due = t0 + std::chrono::milliseconds(frame_ms) * static_cast<long>(i);
      timer.expires_at(due);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      send_lateness_ms_.push_back(ms_between(due, Clock::now()));
    }
    send_opus(encoder_->encode(std::span<const std::int16_t>(pcm.data() + i * n, n)));
    if (i + 1 == speech_frames) {
      if (!pending_) pending_.emplace();
      pending_->end_of_speech = Clock::now();
    }
  }
}

void SimDevice::notify() { notify_.cancel(); }

asio::awaitable<std::optional<Json>> SimDevice::wait_for(std::function<bool(const Json&)> pred,
                                                         std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    for (; cursor_ < inbox_.size(); ++cursor_) {
      if (pred(inbox_[cursor_].json)) co_return inbox_[cursor_++].json;
    }
    if (reader_done_ || Clock::now() >= deadline) co_return std::nullopt;
    notify_.expires_at(deadline);
    co_await notify_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<std::optional<Json>> SimDevice::wait_type(std::string type, std::string state,
                                                          std::chrono::milliseconds timeout) {
  return wait_for(
      [type, state](const Json& j) {
        return j.value("type", "") == type && (state.empty() || j.value("state", "") == state);
      },
      timeout);
}

asio::awaitable<bool> SimDevice::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!reader_done_) {
    if (Clock::now() >= deadline) co_return false;
    notify_.expires_at(deadline);
    co_await notify_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return true;
}

void SimDevice::drop_connection() {
  if (ws_) ws_->abort();
}

asio::awaitable<void> SimDevice::reader(std::shared_ptr<net::WebSocket> ws) {
  // A read may complete after the device was destroyed (its destructor aborts the
  // socket, but a message can already be on its way to this coroutine).
  std::weak_ptr<bool> alive = alive_;
  for (;;) {
    auto msg = co_await ws->read();
    if (!alive.lock()) co_return;
    if (!msg) break;
    if (msg->oversize) continue;
    if (msg->binary)
      on_binary(msg->data);
    else
      on_text(msg->data);
    notify();
  }
  if (ws == ws_) {
    reader_done_ = true;
    state_ = "idle";
  }
  notify();
}

TurnRecord& SimDevice::current_turn() {
  if (turns_.empty()) turns_.emplace_back();
  return turns_.back();
}

void SimDevice::on_text(const std::string& text) {
  Json j = protocol::parse_json_text(text);
  if (j.is_discarded() || !j.is_object()) return;  // the firmware logs and ignores these
  auto now = Clock::now();
  inbox_.push_back({now, j});
  const std::string type = j.value("type", "");
  const std::string st = j.value("state", "");

  if (type == "hello") {
    server_hello_ = j;
    session_id_ = j.value("session_id", "");
    if (auto ap = j.find("audio_params"); ap != j.end() && ap->is_object()) {
      downlink_rate_ = ap->value("sample_rate", 24000);
      downlink_frame_ms_ = ap->value("frame_duration", 60);
    }
    if (!hello_latency_ms_) hello_latency_ms_ = ms_between(hello_sent_at_, now);
    if (state_ == "connecting") state_ = "idle";
  } else if (type == "mcp") {
    Json payload = j.value("payload", Json::object());
    const Json* params = payload.is_object() && payload.value("method", "") == "tools/call" ? &payload["params"] : nullptr;
    if (params && params->is_object() && params->value("name", "") == "self.camera.take_photo" &&
        !mcp_.vision_url().empty() && payload.contains("id") && payload["id"].is_number()) {
      Json args = params->value("arguments", Json::object());
      mcp_.note_call("self.camera.take_photo", args);
      std::string question = args.is_object() ? args.value("question", "") : "";
      asio::co_spawn(ws_->executor(), take_photo(payload["id"], std::move(question)), asio::detached);
    } else if (auto reply = mcp_.handle(payload)) {
      send_json({{"session_id", session_id_}, {"type", "mcp"}, {"payload", *reply}});
    }
  } else if (type == "stt" && j.value("text", "").rfind("% ", 0) == 0) {
    // "% tool_name": the reference's display hint for a tool call, not a user line.
    if (state_ == "speaking") current_turn().tool_hints.push_back(j.value("text", "").substr(2));
  } else if (type == "stt") {
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
      // Entering speaking resets the decoder (the firmware clears its queue).
      decoder_ = std::make_unique<audio::OpusDecoder>(downlink_rate_, 1);
    }
  } else if (type == "tts" && st == "sentence_start") {
    if (state_ == "speaking") current_turn().sentences.push_back(j.value("text", ""));
  } else if (type == "tts" && st == "stop") {
    if (state_ == "speaking") {
      current_turn().tts_stop_at = now;
      state_ = listen_mode_ == "manual" ? "idle" : "listening";
      if (state_ == "listening" && opts_.auto_relisten) listen_start(listen_mode_);
    } else if (pending_) {
      // A wake word with greetings off: stt then tts stop, no audio.
      turns_.push_back(*pending_);
      pending_.reset();
      turns_.back().tts_stop_at = now;
    }
  }
}

void SimDevice::on_binary(const std::string& frame) {
  auto now = Clock::now();
  if (state_ != "speaking") {
    ++frames_outside_speaking_;  // the firmware drops these
    return;
  }
  auto& t = current_turn();
  std::string error;
  auto packet = protocol::decode_audio_frame(framing_of(opts_), frame, &error);
  if (!packet) {
    ++t.undecodable_frames;
    return;
  }
  if (!decoder_) decoder_ = std::make_unique<audio::OpusDecoder>(downlink_rate_, 1);
  auto pcm = decoder_->decode(packet->opus, &error);
  if (!pcm) {
    ++t.undecodable_frames;
    return;
  }
  // The firmware's decode buffer holds exactly one announced frame.
  if (pcm->size() > static_cast<std::size_t>(downlink_rate_ / 1000 * downlink_frame_ms_)) ++t.oversize_frames;
  ++t.frames;
  t.samples += pcm->size();
  if (!t.first_audio_at) t.first_audio_at = now;
  if (t.last_audio_at) t.gaps_ms.push_back(ms_between(*t.last_audio_at, now));
  t.last_audio_at = now;
}

Json SimDevice::report() const {
  auto ms = [](const std::optional<Clock::time_point>& a, const std::optional<Clock::time_point>& b) -> Json {
    if (!a || !b) return nullptr;
    return ms_between(*a, *b);
  };
  Json turns = Json::array();
  for (const auto& t : turns_) {
    double max_gap = 0;
    for (double g : t.gaps_ms) max_gap = std::max(max_gap, g);
    turns.push_back({{"stt", t.stt_text},
                     {"sentences", t.sentences},
                     {"frames", t.frames},
                     {"audio_ms", downlink_rate_ ? 1000.0 * static_cast<double>(t.samples) / downlink_rate_ : 0.0},
                     {"eos_to_stt_ms", ms(t.end_of_speech, t.stt_at)},
                     {"eos_to_tts_start_ms", ms(t.end_of_speech, t.tts_start_at)},
                     {"eos_to_first_audio_ms", ms(t.end_of_speech, t.first_audio_at)},
                     {"max_frame_gap_ms", max_gap},
                     {"oversize_frames", t.oversize_frames},
                     {"undecodable_frames", t.undecodable_frames}});
  }
  double max_late = 0;
  for (double l : send_lateness_ms_) max_late = std::max(max_late, l);
  return {{"device_id", profile_.device_id},
          {"session_id", session_id_},
          {"hello_latency_ms", hello_latency_ms_ ? Json(*hello_latency_ms_) : Json(nullptr)},
          {"frames_outside_speaking", frames_outside_speaking_},
          {"uplink_send_lateness_max_ms", max_late},
          {"turns", turns}};
}

}  // namespace xz::sim
