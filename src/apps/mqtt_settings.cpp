#include "apps/mqtt_settings.h"

#include <cmath>

namespace xz::apps {

net::MqttServerOptions mqtt_server_options(const core::Config& cfg) {
  net::MqttServerOptions o;
  o.enabled = cfg.get<bool>("server.mqtt.enabled", false);
  o.address = cfg.str("server.ip", "0.0.0.0");
  o.port = static_cast<std::uint16_t>(cfg.get<int>("server.mqtt.port", 1883));
  o.tls_port = static_cast<std::uint16_t>(cfg.get<int>("server.mqtt.tls_port", 8883));
  o.tls_cert_file = cfg.str("server.mqtt.tls_cert");
  o.tls_key_file = cfg.str("server.mqtt.tls_key");
  o.udp_port = static_cast<std::uint16_t>(cfg.get<int>("server.mqtt.udp_port", 8884));
  o.public_host = cfg.str("server.mqtt.public_host");
  o.max_packet_bytes = cfg.get<std::size_t>("server.mqtt.max_packet_bytes", 64 * 1024);
  o.connect_timeout = std::chrono::milliseconds(
      std::llround(cfg.get<double>("server.mqtt.connect_timeout_seconds", 10.0) * 1000));
  o.max_packets_per_second = cfg.get<double>("server.mqtt.max_packets_per_second", 50);
  o.packet_burst = cfg.get<double>("server.mqtt.packet_burst", 100);
  o.max_queued_bytes = cfg.get<std::size_t>("server.mqtt.max_queued_bytes", 1024 * 1024);
  return o;
}

}  // namespace xz::apps
