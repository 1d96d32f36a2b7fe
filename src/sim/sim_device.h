#pragma once
// xiaozhi-sim's device: one simulated XiaoZhi board speaking the firmware's protocol
// exactly (device-protocol.md): OTA check, WebSocket with headers or query parameters,
// hello, binary framing v1/v2/v3, listen/abort/detect, Opus 16 kHz uplink at real-time
// pace, downlink decoding with the firmware's checks, and the stock MCP tools.
// Used by the integration tests and by the load generator; one executor, no threads.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "sim/device_mcp_server.h"

namespace xz::net {
class WebSocket;
class HttpClient;
}  // namespace xz::net
namespace xz::audio {
class OpusDecoder;
class OpusEncoder;
}  // namespace xz::audio

namespace xz::sim {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

struct DeviceProfile {
  std::string device_id;  // "" = a random locally administered MAC
  std::string client_id;  // "" = a random UUID v4
  std::string board = "bread-compact-wifi";
  std::string firmware_version = "2.4.2";
  std::string language = "en-US";
};

struct ConnectOptions {
  std::string url;                 // ws://host:port/xiaozhi/v1/
  int protocol_version = 1;        // Protocol-Version header and hello version
  bool identity_in_query = false;  // browser style: device-id, client-id, authorization as query
  std::string token;               // Authorization: Bearer <token>; "" = no header
  bool mcp = true;
  bool aec = false;
  int uplink_frame_ms = 60;
  bool send_hello = true;          // false: connect only (timeout tests)
  bool from_mqtt_gateway = false;  // ?from=mqtt_gateway and its 16-byte framing
  bool auto_relisten = false;      // after tts stop in auto mode, send listen start again
  std::chrono::milliseconds connect_timeout{10000};
};

struct ReceivedText {
  Clock::time_point at;
  Json json;
};

// One reply as the device experienced it (from tts start to tts stop).
struct TurnRecord {
  std::optional<Clock::time_point> end_of_speech;  // when the simulator sent the last voiced frame
  std::optional<Clock::time_point> stt_at, tts_start_at, first_audio_at, tts_stop_at;
  std::string stt_text;
  std::string emotion;
  std::vector<std::string> sentences;
  std::vector<std::string> tool_hints;  // "% name" stt messages: tools the server called
  int frames = 0;
  std::size_t samples = 0;   // decoded at the announced downlink rate
  int oversize_frames = 0;   // longer than the announced frame duration
  int undecodable_frames = 0;
  std::vector<double> gaps_ms;  // between consecutive audio frames
  std::optional<Clock::time_point> last_audio_at;
};

class SimDevice {
 public:
  SimDevice(boost::asio::any_io_executor ex, DeviceProfile profile = {});
  ~SimDevice();
  SimDevice(const SimDevice&) = delete;
  SimDevice& operator=(const SimDevice&) = delete;

  const DeviceProfile& profile() const { return profile_; }
  DeviceMcpServer& mcp() { return mcp_; }
  // The JPEG the camera "takes" (default: a tiny valid JPEG header and trailer).
  void set_camera_image(std::string jpeg) { camera_image_ = std::move(jpeg); }
  // HTTP status of the last camera upload (0 = none yet).
  int last_photo_status() const { return last_photo_status_; }

  // POST <ota_url> with the firmware's headers and body; the parsed answer (throws on
  // transport errors or non-JSON; `status` gets the HTTP status).
  boost::asio::awaitable<Json> check_ota(std::string ota_url, int* status = nullptr);

  // Opens the WebSocket (and sends hello unless told not to). Throws on failure.
  boost::asio::awaitable<void> connect(ConnectOptions opts);
  // Waits for the server hello (the firmware waits 10 s). nullopt on timeout/close.
  boost::asio::awaitable<std::optional<Json>> wait_hello(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void send_hello();

  // Device -> server messages, exactly as the firmware builds them.
  void listen_start(std::string mode = "auto");
  void listen_stop();
  void listen_detect(std::string text);
  void abort(std::string reason = {});
  void send_text(std::string raw);       // anything, for bad-input tests
  void send_binary(std::string raw);     // a raw binary frame, no framing added
  void send_opus(std::string_view opus, std::uint32_t timestamp = 0);  // framed per protocol version

  // Streams 16 kHz PCM as Opus frames (uplink_frame_ms each, complexity 0 + DTX like the
  // firmware) at real-time pace; marks end of speech after the last frame of `speech`,
  // then sends `trailing_silence`.
  boost::asio::awaitable<void> speak(const std::vector<std::int16_t>& speech,
                                     std::chrono::milliseconds trailing_silence = std::chrono::milliseconds(800),
                                     bool realtime = true);

  // Waits for the next text message (after those already consumed) matching pred.
  boost::asio::awaitable<std::optional<Json>> wait_for(std::function<bool(const Json&)> pred,
                                                       std::chrono::milliseconds timeout);
  boost::asio::awaitable<std::optional<Json>> wait_type(std::string type, std::string state,
                                                        std::chrono::milliseconds timeout);
  // Waits for the connection to close (by the server). True when it did.
  boost::asio::awaitable<bool> wait_closed(std::chrono::milliseconds timeout);
  // Closes the TCP connection the way the firmware does (no close frame, no goodbye).
  void drop_connection();

  bool connected() const;
  const std::string& session_id() const { return session_id_; }
  const Json& server_hello() const { return server_hello_; }
  std::optional<double> hello_latency_ms() const { return hello_latency_ms_; }
  const std::vector<ReceivedText>& messages() const { return inbox_; }
  const std::vector<TurnRecord>& turns() const { return turns_; }
  // Frames that arrived while the device was not in `speaking` (the firmware drops them).
  int frames_outside_speaking() const { return frames_outside_speaking_; }
  const std::string& state() const { return state_; }
  int downlink_rate() const { return downlink_rate_; }
  // How late the simulator's own uplink frames left vs. their real-time schedule.
  const std::vector<double>& send_lateness_ms() const { return send_lateness_ms_; }
  Json report() const;

 private:
  boost::asio::awaitable<void> reader(std::shared_ptr<net::WebSocket> ws);
  void on_text(const std::string& text);
  void on_binary(const std::string& frame);
  void notify();
  void send_json(const Json& j);
  // self.camera.take_photo as the firmware does it: POST the photo to the vision URL from
  // initialize and answer the tool call with the response body verbatim.
  boost::asio::awaitable<void> take_photo(Json id, std::string question);
  TurnRecord& current_turn();

  boost::asio::any_io_executor ex_;
  DeviceProfile profile_;
  ConnectOptions opts_;
  DeviceMcpServer mcp_;
  std::shared_ptr<net::WebSocket> ws_;
  std::unique_ptr<net::HttpClient> http_;
  std::shared_ptr<net::HttpClient> camera_http_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::string camera_image_;
  int last_photo_status_ = 0;
  std::unique_ptr<audio::OpusEncoder> encoder_;
  std::unique_ptr<audio::OpusDecoder> decoder_;
  boost::asio::steady_timer notify_;
  bool reader_done_ = true;

  std::string session_id_;
  Json server_hello_;
  int downlink_rate_ = 24000;
  int downlink_frame_ms_ = 60;
  Clock::time_point hello_sent_at_;
  std::optional<double> hello_latency_ms_;
  std::string state_ = "idle";
  std::string listen_mode_ = "auto";

  std::vector<ReceivedText> inbox_;
  std::size_t cursor_ = 0;
  std::vector<TurnRecord> turns_;
  std::optional<TurnRecord> pending_;  // stt and end of speech seen before tts start
  int frames_outside_speaking_ = 0;
  std::vector<double> send_lateness_ms_;
};

// A random locally administered MAC ("02:xx:..") and a random UUID v4.
std::string random_mac();
std::string random_uuid();

}  // namespace xz::sim
