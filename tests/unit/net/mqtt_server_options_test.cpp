// server.mqtt.* from the configuration: the defaults config/config.yaml documents, and
// a user's values reaching the listener's options.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "apps/mqtt_settings.h"
#include "core/default_config.h"

using namespace std::chrono_literals;

namespace {

xz::core::Config load(const std::string& user_yaml) {
  xz::core::ConfigSource s;
  s.defaults_yaml = std::string(xz::core::default_config_yaml());
  s.default_override_path = "/nonexistent/.config.yaml";
  const auto path = std::filesystem::temp_directory_path() / ("mqtt_cfg_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << user_yaml;
  s.path = path.string();
  auto c = xz::core::Config::load(s);
  std::filesystem::remove(path);
  return c;
}

}  // namespace

TEST(MqttServerOptions, DefaultsAreTheDocumentedOnes) {
  const auto o = xz::apps::mqtt_server_options(load("{}"));
  EXPECT_FALSE(o.enabled);
  EXPECT_EQ(o.address, "0.0.0.0");
  EXPECT_EQ(o.port, 1883);
  EXPECT_EQ(o.tls_port, 8883);
  EXPECT_EQ(o.tls_cert_file, "");
  EXPECT_EQ(o.tls_key_file, "");
  EXPECT_EQ(o.udp_port, 8884);
  EXPECT_EQ(o.public_host, "");
  EXPECT_EQ(o.max_packet_bytes, 65536u);
  EXPECT_EQ(o.connect_timeout, 10000ms);
  EXPECT_EQ(o.max_packets_per_second, 50);
  EXPECT_EQ(o.packet_burst, 100);
  EXPECT_EQ(o.max_queued_bytes, 1048576u);
}

TEST(MqttServerOptions, TakesTheUsersValues) {
  const auto o = xz::apps::mqtt_server_options(load(R"(
server:
  ip: 127.0.0.1
  mqtt:
    enabled: true
    port: 11883
    tls_port: 18883
    tls_cert: /etc/x/cert.pem
    tls_key: /etc/x/key.pem
    udp_port: 18884
    public_host: mqtt.example.com
    max_packet_bytes: 4096
    connect_timeout_seconds: 2.5
    max_packets_per_second: 5
    packet_burst: 7
    max_queued_bytes: 65536
)"));
  EXPECT_TRUE(o.enabled);
  EXPECT_EQ(o.address, "127.0.0.1");
  EXPECT_EQ(o.port, 11883);
  EXPECT_EQ(o.tls_port, 18883);
  EXPECT_EQ(o.tls_cert_file, "/etc/x/cert.pem");
  EXPECT_EQ(o.tls_key_file, "/etc/x/key.pem");
  EXPECT_EQ(o.udp_port, 18884);
  EXPECT_EQ(o.public_host, "mqtt.example.com");
  EXPECT_EQ(o.max_packet_bytes, 4096u);
  EXPECT_EQ(o.connect_timeout, 2500ms);
  EXPECT_EQ(o.max_packets_per_second, 5);
  EXPECT_EQ(o.packet_burst, 7);
  EXPECT_EQ(o.max_queued_bytes, 65536u);
}

TEST(MqttServerOptions, APortOutOfRangeIsAConfigError) {
  EXPECT_THROW(load("server:\n  mqtt:\n    port: 70000\n"), xz::core::ConfigError);
  EXPECT_THROW(load("server:\n  mqtt:\n    enabled: maybe\n"), xz::core::ConfigError);
}
