#pragma once
// The device-facing MQTT 3.1.1 listener (I/O only): the firmware's MQTT side, as the
// reference's gateway serves it. Devices log in with the credentials the OTA answer
// issued, publish their JSON messages (QoS 0 or 1) and take every PUBLISH written to
// their connection, whatever its topic (they subscribe to nothing). What the messages
// mean is the handler's business.
//
// Plain TCP on `port`, TLS on `tls_port` when a certificate and key are configured.
// Connections are spread round-robin over the runtime's loops and stay there; each is
// one reading coroutine and one writing coroutine. Hostile devices cost only their own
// connection: CONNECT must come within connect_timeout, silence longer than 1.5x the
// client's keep-alive closes, packets are bounded in size and rate, a device that does
// not read its messages is dropped when its queue passes the bound, and the shared
// connection caps hold. A device logging in again with the same client id replaces its
// old connection.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "core/runtime.h"
#include "net/connection_limiter.h"
#include "protocol/mqtt_packet.h"

namespace xz::core {
class Metrics;
}  // namespace xz::core

namespace xz::net {

struct MqttServerOptions {
  bool enabled = false;          // server.mqtt.enabled: whether apps/ start the listener
  std::string address = "0.0.0.0";
  std::uint16_t port = 1883;     // 0 = ephemeral (tests)
  // TLS listener: on when both files are set (PEM). 0 = ephemeral.
  std::uint16_t tls_port = 8883;
  std::string tls_cert_file;
  std::string tls_key_file;
  // Told to devices (OTA `mqtt.endpoint`, the server hello's `udp.server`); empty = this
  // machine's LAN address. Not used by the listener itself.
  std::string public_host;
  std::uint16_t udp_port = 8884;  // the UDP audio endpoint's port (net/udp_*)
  // Largest packet taken from a device, fixed header included; a larger one closes.
  std::size_t max_packet_bytes = 64 * 1024;
  // From accept (TLS handshake included) to a complete CONNECT.
  std::chrono::milliseconds connect_timeout{10000};
  // Inbound packets per second per connection and the burst allowed after a quiet spell;
  // over it the connection is closed.
  double max_packets_per_second = 50;
  double packet_burst = 100;
  // Bytes queued towards one device; over it the device is not reading and is closed.
  std::size_t max_queued_bytes = 1024 * 1024;
  // One write may take this long before the connection is given up.
  std::chrono::milliseconds write_timeout{30000};
  // Connection caps, shared with the other listeners; null = no caps.
  std::shared_ptr<ConnectionLimiter> limiter;
};

// What a device presented in CONNECT, for the login check.
struct MqttLogin {
  std::string_view client_id;
  std::string_view username;
  std::string_view password;
  std::string_view remote_ip;
};

// Accepted, or the CONNACK code to refuse with (bad_username_or_password, not_authorized).
// Called on the connection's loop; must not block.
using MqttLoginCheck = std::function<protocol::mqtt::ConnackCode(const MqttLogin&)>;

// The official scheme (protocol/mqtt_credentials): password ==
// base64(HMAC-SHA256(key, client_id + "|" + username)), compared in constant time. A
// wrong password is refused with code 4; with an empty key every login is refused (5).
MqttLoginCheck official_mqtt_login(std::string signature_key);

// Why a connection ended, for the handler and the metrics.
enum class MqttCloseReason {
  disconnect,      // the device sent DISCONNECT
  peer_closed,     // the socket closed or failed
  closed_by_server,  // close() or the server stopping
  replaced,        // the same client id logged in again
  login_timeout,   // no CONNECT (TLS handshake included) within connect_timeout
  keep_alive,      // silent for 1.5x its keep-alive
  oversize,        // a packet above max_packet_bytes
  rate,            // packets faster than the bound
  slow_reader,     // its queue passed max_queued_bytes, or a write timed out
  protocol,        // a malformed or unexpected packet (QoS 2 included)
};
std::string_view mqtt_close_reason_name(MqttCloseReason r);

// One logged-in device. Use it only on executor(): the loop it lives on.
class MqttDeviceConnection {
 public:
  struct State;
  explicit MqttDeviceConnection(std::shared_ptr<State> state);
  ~MqttDeviceConnection();
  MqttDeviceConnection(const MqttDeviceConnection&) = delete;
  MqttDeviceConnection& operator=(const MqttDeviceConnection&) = delete;

  const std::string& client_id() const;
  const std::string& username() const;
  const std::string& group_id() const;   // GID_<model>
  const std::string& device_id() const;  // the MAC with ':', e.g. aa:bb:cc:dd:ee:ff
  const std::string& uuid() const;
  const std::string& remote_ip() const;
  bool tls() const;
  std::uint16_t keep_alive_seconds() const;
  // devices/p2p/<mac with '_'>: where the gateway publishes to a device (the firmware
  // ignores the topic).
  const std::string& reply_topic() const;
  boost::asio::any_io_executor executor() const;

  // Queues a QoS 0 PUBLISH to reply_topic() (or `topic`). Never waits. False when the
  // connection is closing, or the queue passed its bound (then it is closed: the device
  // is not reading).
  bool publish(std::string payload);
  bool publish(std::string_view topic, std::string_view payload);
  std::size_t queued_bytes() const;
  // Ends the connection after what is queued has been written (bounded by write_timeout).
  void close();
  bool is_open() const;

 private:
  std::shared_ptr<State> state_;
};

// The integrator's side of one connection; called on the connection's executor.
class MqttConnectionHandler {
 public:
  virtual ~MqttConnectionHandler() = default;
  // Each PUBLISH from the device (QoS 0 or 1; the PUBACK is already queued): the topic
  // the firmware chose (publish_topic) and the payload, normally one JSON text.
  virtual void on_publish(std::string_view topic, std::string payload) = 0;
  // Once, when the connection has ended; publish() no longer sends.
  virtual void on_close(MqttCloseReason reason) = 0;
};

class MqttDeviceHandler {
 public:
  virtual ~MqttDeviceHandler() = default;
  // A device logged in (CONNACK 0 is queued). Returns the connection's handler; null
  // closes the connection. Called on the connection's executor.
  virtual std::shared_ptr<MqttConnectionHandler> on_connected(std::shared_ptr<MqttDeviceConnection> connection) = 0;
};

class MqttServer {
 public:
  // `metrics` (may be null) must outlive the server and its connections.
  MqttServer(core::Runtime& rt, MqttServerOptions opts, MqttLoginCheck login, std::shared_ptr<MqttDeviceHandler> handler,
             core::Metrics* metrics = nullptr);
  ~MqttServer();
  MqttServer(const MqttServer&) = delete;
  MqttServer& operator=(const MqttServer&) = delete;

  // Binds and starts accepting (and loads the TLS certificate). Throws
  // std::runtime_error naming the address or file on failure.
  void start();
  std::uint16_t port() const { return port_; }
  std::uint16_t tls_port() const { return tls_port_; }  // 0 when TLS is off
  // Stops accepting and closes every connection.
  void stop();
  // Logged-in devices now.
  std::size_t connected() const;

  struct Impl;
  struct Listeners;

 private:
  std::shared_ptr<Impl> impl_;
  std::shared_ptr<Listeners> listeners_;
  std::uint16_t port_ = 0;
  std::uint16_t tls_port_ = 0;
};

}  // namespace xz::net
