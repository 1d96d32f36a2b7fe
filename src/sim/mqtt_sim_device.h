#pragma once
// xiaozhi-sim's device on MQTT + UDP (device-protocol.md §4), as current firmware does it:
// logs in with the OTA answer's `mqtt` credentials, subscribes to nothing and takes every
// PUBLISH written to its connection; each conversation is a hello (version 3, transport
// udp) answered by a server hello that must pass ParseServerHello's checks, Opus over
// AES-128-CTR datagrams (net/udp_audio_client: the firmware's receive checks), and a
// goodbye from either side, the MQTT connection staying. Audio that arrives while the
// device is not `speaking` is dropped and counted, as the firmware drops it. The stock MCP
// tools answer at any time, between conversations too. One executor, no threads; the
// WebSocket device is SimDevice (sim_device.h), whose turn records this one shares.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/udp_audio_client.h"
#include "sim/sim_device.h"

namespace xz::net {
class MqttClient;
class UdpAudioClient;
}  // namespace xz::net

namespace xz::sim {

// The OTA answer's `mqtt` block, as the firmware stores it (device-protocol.md §2.2, §4.1).
struct MqttSettings {
  std::string endpoint;  // host or host:port; no port = 8883, and port 8883 means TLS
  std::string client_id, username, password;
  std::string publish_topic = "device-server";
  int keepalive = 240;
};
// The block of an OTA answer; nullopt when it has none (the firmware then uses WebSocket).
std::optional<MqttSettings> mqtt_settings_from_ota(const Json& ota);
// The UDP channel a server hello opens, checked as the firmware's ParseServerHello checks
// it (transport "udp"; udp.server, port 1-65535, key and nonce strings); nullopt for a
// hello the firmware would ignore (and then time out). Hex is checked when the channel opens.
std::optional<net::UdpAudioClientConfig> udp_channel_from_hello(const Json& hello);

struct MqttConnectOptions {
  MqttSettings mqtt;
  bool mcp = true;
  bool aec = false;
  int uplink_frame_ms = 60;
  bool send_hello = true;  // false: log in only (an idle device)
  std::chrono::milliseconds connect_timeout{10000};
};

class MqttSimDevice {
 public:
  MqttSimDevice(boost::asio::any_io_executor ex, DeviceProfile profile = {});
  ~MqttSimDevice();
  MqttSimDevice(const MqttSimDevice&) = delete;
  MqttSimDevice& operator=(const MqttSimDevice&) = delete;

  const DeviceProfile& profile() const { return profile_; }
  DeviceMcpServer& mcp() { return mcp_; }

  // Connects and logs in (throws net::MqttConnectError when refused), then sends hello
  // unless told not to.
  boost::asio::awaitable<void> connect(MqttConnectOptions opts);
  // Opens a conversation: hello over MQTT. A previous one's UDP channel is dropped.
  void send_hello();
  // The server hello that passed the firmware's checks (10 s like the firmware).
  boost::asio::awaitable<std::optional<Json>> wait_hello(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Ends the conversation as the firmware does: goodbye with the session id, the UDP
  // socket dropped; the MQTT connection stays.
  void goodbye();

  void listen_start(std::string mode = "auto");
  void listen_stop();
  void listen_detect(std::string text);
  void abort(std::string reason = {});
  void send_text(std::string raw);
  void send_opus(std::string_view opus, std::uint32_t timestamp = 0);
  // As SimDevice::speak, over UDP.
  boost::asio::awaitable<void> speak(const std::vector<std::int16_t>& speech,
                                     std::chrono::milliseconds trailing_silence = std::chrono::milliseconds(800));

  boost::asio::awaitable<std::optional<Json>> wait_for(std::function<bool(const Json&)> pred,
                                                       std::chrono::milliseconds timeout);
  boost::asio::awaitable<std::optional<Json>> wait_type(std::string type, std::string state,
                                                        std::chrono::milliseconds timeout);
  // Waits for the conversation's channel to close (the server's goodbye). True when it did.
  boost::asio::awaitable<bool> wait_channel_closed(std::chrono::milliseconds timeout);
  void drop_connection();
  // DISCONNECT after what is queued (a goodbye, say); resumes when the connection is closed.
  boost::asio::awaitable<void> disconnect();

  bool mqtt_connected() const;
  bool channel_open() const { return udp_ != nullptr; }
  net::UdpAudioClient* udp() { return udp_.get(); }  // tests: replays, forgeries
  const std::string& session_id() const { return session_id_; }
  const std::vector<ReceivedText>& messages() const { return inbox_; }
  const std::vector<TurnRecord>& turns() const { return turns_; }
  int frames_outside_speaking() const { return frames_outside_speaking_; }
  const std::string& state() const { return state_; }
  Json report() const;

 private:
  boost::asio::awaitable<void> reader(std::shared_ptr<net::MqttClient> mqtt);
  void on_text(const std::string& text);
  void on_audio(std::string_view opus);
  // ParseServerHello: false (hello ignored) unless transport is "udp" and udp has server,
  // port 1-65535, and key and nonce of 16 bytes in hex.
  bool open_channel(const Json& hello);
  void close_channel();
  void send_json(const Json& j);
  void notify();
  TurnRecord& current_turn();

  boost::asio::any_io_executor ex_;
  DeviceProfile profile_;
  MqttConnectOptions opts_;
  DeviceMcpServer mcp_;
  std::shared_ptr<net::MqttClient> mqtt_;
  std::unique_ptr<net::UdpAudioClient> udp_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
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
  std::optional<TurnRecord> pending_;
  int frames_outside_speaking_ = 0;
};

}  // namespace xz::sim
