#pragma once
// One conversation of a device on MQTT + UDP (device-protocol.md §4): JSON goes out as
// PUBLISH on the device's MQTT connection, audio as AES-128-CTR datagrams on the
// session's UDP channel; what the device sends comes in through an inbox that the
// device's MQTT handler (session/mqtt_device_server.h) and the UDP channel fill. In
// session/ beside WsDeviceLink: it is the session's view of the device, built from the
// net/ listeners, and nothing below session/ needs it.
//
// Ending the session's channel never ends the MQTT connection: the device stays
// reachable between conversations. The server ends it with a goodbye carrying the
// session id (the firmware ignores one with another id); the device ends it with its own
// goodbye, which is not answered.
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include "session/device_link.h"

namespace xz::net {
class MqttDeviceConnection;
class UdpAudioChannel;
}  // namespace xz::net

namespace xz::session {

// What the device sent for one session, waiting for the session to read it, and the
// session's UDP channel. Shared by the link (reader), the device's MQTT handler and the
// UDP channel's callback (writers); used only on the MQTT connection's executor.
class MqttUdpInbox {
 public:
  // More than this many unread inputs: the session is stuck; later ones are dropped.
  static constexpr std::size_t kMaxPending = 256;

  explicit MqttUdpInbox(boost::asio::any_io_executor ex);
  ~MqttUdpInbox();

  void set_channel(std::unique_ptr<net::UdpAudioChannel> channel);
  net::UdpAudioChannel* channel() const { return channel_.get(); }

  void push_text(std::string json);
  void push_audio(std::string opus, std::uint32_t timestamp_ms);
  // The session's channel is over: the UDP channel is closed at once, what is unread is
  // dropped and receive() ends with `why`. Later calls change nothing.
  void end(std::string why);
  bool ended() const { return ended_; }
  std::uint64_t overflowed() const { return overflowed_; }

  boost::asio::awaitable<DeviceInput> next();

 private:
  struct Item {
    bool audio = false;
    std::string data;
    std::uint32_t timestamp_ms = 0;
  };
  void push(Item item);

  boost::asio::steady_timer wake_;
  std::deque<Item> items_;
  std::unique_ptr<net::UdpAudioChannel> channel_;
  std::string frame_;  // the last audio item: next()'s opus points into it
  bool ended_ = false;
  std::string why_;
  std::uint64_t overflowed_ = 0;
};

struct UdpHelloInfo {
  std::string server;  // what devices are told: server.mqtt.public_host or the LAN address
  std::uint16_t port = 0;
};

class MqttUdpDeviceLink final : public DeviceLink {
 public:
  // The first audio after a `tts start` waits this long: JSON (TCP) and audio (UDP)
  // travel separately and the firmware drops audio that arrives before it has processed
  // `tts start` (device-protocol.md §4.4).
  static constexpr std::chrono::milliseconds kFirstAudioHold{40};
  // Audio held meanwhile; beyond it frames are dropped (the pacer sends ~1 per 60 ms).
  static constexpr std::size_t kMaxHeldFrames = 32;

  MqttUdpDeviceLink(std::shared_ptr<net::MqttDeviceConnection> mqtt, std::shared_ptr<MqttUdpInbox> inbox,
                    UdpHelloInfo udp);
  ~MqttUdpDeviceLink() override;

  boost::asio::awaitable<DeviceInput> receive() override;
  bool send_text(std::string json) override;
  bool send_audio(std::string_view opus, std::uint32_t timestamp_ms) override;
  std::size_t queued_bytes() const override;
  void on_hello(const protocol::HelloMsg& hello, protocol::ServerHello& reply) override;
  void close(std::string reason) override;
  void abort() override;
  std::string transport() const override { return "mqtt"; }
  std::string remote_address() const override;
  boost::asio::any_io_executor executor() const override;

 private:
  void flush_held();

  std::shared_ptr<net::MqttDeviceConnection> mqtt_;
  std::shared_ptr<MqttUdpInbox> inbox_;
  UdpHelloInfo udp_;
  std::string session_id_;
  bool closed_ = false;
  // Audio waiting for the device to have taken `tts start`.
  std::chrono::steady_clock::time_point hold_until_{};
  std::deque<std::pair<std::string, std::uint32_t>> held_;
  std::size_t held_bytes_ = 0;
  std::shared_ptr<boost::asio::steady_timer> flush_timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace xz::session
