#pragma once
// A small MQTT 3.1.1 client: the firmware's MQTT side as xiaozhi-sim and the tests play
// it (connect with the OTA credentials, publish JSON at QoS 0, take every PUBLISH the
// server writes, ping, disconnect). Used only on the executor that connected it; sends
// are queued and written in order by one writer coroutine. The server may be hostile
// too: packets are bounded, and messages not yet taken by receive() stop the reading.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "protocol/mqtt_packet.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace xz::net {

struct MqttClientOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  // TLS, the certificate checked against `host`. Null context = the system CAs.
  bool tls = false;
  std::shared_ptr<boost::asio::ssl::context> tls_context;
  std::string client_id, username, password;
  std::uint16_t keep_alive_seconds = 240;  // the firmware's default
  // Send PINGREQ every keep-alive period, as esp-mqtt does; off to play a silent device.
  bool send_pings = true;
  std::chrono::milliseconds connect_timeout{10000};  // TCP, TLS and CONNACK together
  std::size_t max_packet_bytes = 1024 * 1024;
  std::size_t max_queued_bytes = 1024 * 1024;
  std::size_t max_unread_messages = 256;
};

// The server answered CONNECT with a refusal (code) or did not answer properly (no code).
struct MqttConnectError : std::runtime_error {
  MqttConnectError(const std::string& what, std::optional<protocol::mqtt::ConnackCode> code)
      : std::runtime_error(what), code(code) {}
  std::optional<protocol::mqtt::ConnackCode> code;
};

struct MqttMessage {
  std::string topic;
  std::string payload;
};

class MqttClient {
 public:
  struct Impl;
  explicit MqttClient(std::shared_ptr<Impl> impl);
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  // Connects and logs in; throws MqttConnectError (refused or a bad answer) or
  // std::runtime_error (no connection, timeout). Pass a named options object.
  static boost::asio::awaitable<std::shared_ptr<MqttClient>> connect(MqttClientOptions opts);

  // Queues a PUBLISH at QoS 0. False when the client is closed or its queue is full.
  bool publish(std::string_view topic, std::string_view payload);
  // A PUBLISH at QoS 1; true when its PUBACK came within `timeout`.
  boost::asio::awaitable<bool> publish_acked(std::string_view topic, std::string_view payload,
                                             std::chrono::milliseconds timeout);
  // The next PUBLISH from the server; std::nullopt when the connection ended first
  // (or `timeout` passed, when given).
  boost::asio::awaitable<std::optional<MqttMessage>> receive(
      std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // PINGREQ; true when a PINGRESP came within `timeout`.
  boost::asio::awaitable<bool> ping(std::chrono::milliseconds timeout);
  // SUBSCRIBE to one filter; the granted code, or std::nullopt without a SUBACK in time.
  boost::asio::awaitable<std::optional<std::uint8_t>> subscribe(std::string_view filter, std::uint8_t qos,
                                                                std::chrono::milliseconds timeout);
  // DISCONNECT after what is queued, then closes.
  void disconnect();
  // Closes the socket now, as a device losing its network.
  void abort();
  bool is_open() const;
  // Resolves when the connection has ended (the server closed it, or ours).
  boost::asio::awaitable<void> wait_closed();

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace xz::net
