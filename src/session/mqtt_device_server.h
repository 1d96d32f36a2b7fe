#pragma once
// Devices on MQTT + UDP (device-protocol.md §4), served by this server: the handler of
// net::MqttServer's connections. One MQTT connection, many conversations: each device
// hello opens a UDP channel and starts a Session over an MqttUdpDeviceLink; goodbye (either
// side) ends that session and keeps the connection; the connection's end ends
// everything. Between conversations the device is online (registry entry without a
// session id, state "idle"): push reaches it (speak as an on-screen alert, MCP tools
// through an IdleDevice) and a WebSocket connection from the same device replaces it.
//
// Identity as the reference's gateway derives it: the device id is the MAC in the client
// id, the client id its third part. Activation and the device's agent follow the same
// policy as on the WebSocket (session/device_admission.h), checked at each hello.
#include <atomic>
#include <memory>

#include "net/mqtt_server.h"
#include "session/device_admission.h"
#include "session/idle_device.h"
#include "session/mqtt_udp_link.h"
#include "session/session.h"

namespace xz::net {
class UdpAudioEndpoint;
}

namespace xz::session {

class MqttDeviceServer final : public net::MqttDeviceHandler {
 public:
  // `udp` must outlive every connection (stop the MQTT server first).
  MqttDeviceServer(SessionDeps deps, AdmissionPolicy policy, net::UdpAudioEndpoint& udp, UdpHelloInfo hello,
                   IdleDeviceFactory idle = {});
  ~MqttDeviceServer() override;

  std::shared_ptr<net::MqttConnectionHandler> on_connected(
      std::shared_ptr<net::MqttDeviceConnection> connection) override;

  // Shutdown: a device whose conversation ends is disconnected rather than kept idle.
  void stop_keeping_idle();

  struct Shared;

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace xz::session
