#pragma once
// One device of the load generator: as faithful as SimDevice on the wire (OTA check,
// WebSocket headers, hello, MCP answers, auto-mode listen, real-time Opus uplink,
// abort) but light enough for thousands per process: no inbox, no downlink decoder,
// the uplink packets shared by all devices, and every measurement written straight
// into its loop's LoadMetrics.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/async.h"
#include "sim/device_mcp_server.h"
#include "sim/load/load_metrics.h"
#include "sim/load/load_options.h"
#include "sim/load/uplink_clip.h"

namespace xz::net {
class HttpClient;
class MqttClient;
class UdpAudioClient;
class WebSocket;
}

namespace xz::sim {

using Clock = std::chrono::steady_clock;

// Uplink packet indices that matter for the measurements (see vad_calibration.h).
struct TurnPlan {
  std::size_t eos_packet = 0;  // holds the end of speech
  std::size_t vad_packet = 0;  // its arrival lets the server's VAD end the utterance
};

// State shared by the devices of one event loop; used only on that loop.
struct LoadLoop {
  LoadLoop(boost::asio::any_io_executor executor, const LoadOptions& options, const UplinkClip* uplink, TurnPlan p);
  ~LoadLoop();

  boost::asio::any_io_executor ex;
  const LoadOptions& opts;
  const UplinkClip* clip;  // null in idle mode
  TurnPlan plan;
  DeviceMcpServer mcp;     // answers like the firmware's; its call log is shared, which is harmless here
  std::unique_ptr<net::HttpClient> http;  // OTA checks; keeps no idle connection
  LoadMetrics metrics;
  core::Event release;     // idle mode: everyone hangs up
  std::size_t live = 0;    // devices connected now
  std::size_t alive = 0;   // device objects and probes not yet gone: the loop may stop at 0
};

// Called on the device's loop: settled = hello answered or failed; done = hung up,
// `completed` when it held until released (idle) or finished all its turns.
struct DeviceEvents {
  std::function<void(bool connected)> settled;
  std::function<void()> first_turn_started;
  std::function<void(bool completed)> done;
};

class LoadDevice : public std::enable_shared_from_this<LoadDevice> {
 public:
  LoadDevice(LoadLoop& loop, std::size_t index, DeviceEvents events);
  ~LoadDevice();
  LoadDevice(const LoadDevice&) = delete;
  LoadDevice& operator=(const LoadDevice&) = delete;

  // The device's whole life, from OTA check to hang-up. Never throws.
  static boost::asio::awaitable<void> run(std::shared_ptr<LoadDevice> self);

 private:
  enum class Until { hello, first_frame_or_stop, tts_stop, never };
  struct Turn {
    std::optional<Clock::time_point> eos_sent, vad_sent, stt, tts_start, first_frame, last_frame, tts_stop,
        abort_sent, last_frame_after_abort;
    int frames = 0;
  };

  boost::asio::awaitable<bool> connect();
  boost::asio::awaitable<void> hold();
  boost::asio::awaitable<bool> one_turn();
  static boost::asio::awaitable<void> reader(std::shared_ptr<LoadDevice> self, std::shared_ptr<net::WebSocket> ws);
  // MQTT transport: every PUBLISH is a text message (the firmware subscribes to nothing).
  static boost::asio::awaitable<void> mqtt_reader(std::shared_ptr<LoadDevice> self, std::shared_ptr<net::MqttClient> mqtt);
  boost::asio::awaitable<bool> connect_mqtt(const nlohmann::json& ota_body);
  // The hello's udp block, checked as ParseServerHello does; false = hello ignored.
  bool open_udp(const nlohmann::json& hello);
  void reader_ended();
  static boost::asio::awaitable<void> uplink(std::shared_ptr<LoadDevice> self, std::uint64_t generation);
  boost::asio::awaitable<bool> wait_until(Until what, Clock::time_point deadline);
  bool reached(Until what) const;
  void on_text(const std::string& text);
  void on_binary();
  void finish_turn();
  void send_json(const nlohmann::json& j);
  void hang_up();
  bool connected() const;

  LoadLoop& loop_;
  std::size_t index_;
  DeviceEvents events_;
  std::string device_id_, client_id_, token_, session_id_;
  std::shared_ptr<net::WebSocket> ws_;
  std::shared_ptr<net::MqttClient> mqtt_;       // MQTT transport
  std::unique_ptr<net::UdpAudioClient> udp_;    // its conversation's audio channel
  std::string publish_topic_ = "device-server";
  boost::asio::steady_timer notify_;
  bool reader_done_ = true, hanging_up_ = false, counted_live_ = false;
  enum class State { connecting, idle, listening, speaking } state_ = State::connecting;
  Clock::time_point hello_sent_{};
  std::optional<Clock::time_point> hello_at_;
  std::uint64_t generation_ = 0;  // of the turn whose uplink may send
  bool mic_on_ = false;
  Clock::time_point play_end_{};  // when the device will have played what it received
  Turn turn_;
};

// ws://127.0.0.1:P/... -> ws://127.0.0.(1 + index % spread):P/...; the URL unchanged
// when spread is 1. Throws std::invalid_argument when spreading a non-127.0.0.1 URL.
std::string spread_url(const std::string& url, std::size_t index, int spread);

}  // namespace xz::sim
