#pragma once
// The MQTT nodes devices are spread over (server.mqtt.nodes, issue 18 "several servers"):
// which node a device is told to connect to, and how to reach each node's HTTP API.
// A device's MQTT connection must end on the server that serves it (a broker cannot
// carry this traffic), so scale-out is several servers and a stable assignment.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"

namespace xz::http {

struct MqttNode {
  std::string name;
  std::string host;               // the host devices are told
  int port = 1883;                // plain MQTT
  std::optional<int> tls_port;    // set: devices are handed host:tls_port (TLS; always 8883)
  std::string api_url;            // "http://host:port" of the node's HTTP API ("" for this node alone)
  bool down = false;              // assigned no devices; its devices move to the others

  // "host:port" the OTA answer hands out (the firmware uses TLS exactly on 8883).
  std::string endpoint() const;
};

// Rendezvous (highest-random-weight) hashing over the nodes not marked down: the same
// device id (case-insensitive) always gets the same node, and marking a node down moves
// only the devices it had. nullptr when every node is down (or there is none).
const MqttNode* assign_node(std::span<const MqttNode> nodes, std::string_view device_id);

struct MqttNodeSettings {
  std::vector<MqttNode> nodes;  // never empty when MQTT is enabled: a single list of this server alone
  std::string self;             // this process's entry in `nodes`
  bool several() const { return nodes.size() > 1; }
  const MqttNode* find(std::string_view name) const;
};

// server.mqtt.{nodes,node_name,port,tls_*,public_host,ota_tls}. With no nodes listed,
// this server alone (named node_name or "local"), at public_host or `lan_ip`. Throws
// core::ConfigError naming each bad key (unknown node_name, duplicate names, bad URL,
// a TLS port other than 8883).
MqttNodeSettings mqtt_nodes_from_config(const core::Config& cfg, const std::string& lan_ip);

}  // namespace xz::http
