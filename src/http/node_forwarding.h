#pragma once
// The push API across several servers (server.mqtt.nodes): a request for a device this
// server does not hold goes to the node the OTA answer assigned it to, and, if that node
// does not hold it either, to the other nodes that are up, in parallel. Forwarded
// requests carry the same admin bearer token and kForwardedHeader; a forwarded request
// is answered locally only, so requests never loop. Each remote call is bounded by the
// connect and total timeouts: a node that is down costs one timeout, not a hang.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "http/mqtt_nodes.h"
#include "net/http_types.h"

namespace xz::net {
class HttpClient;
}

namespace xz::http {

// Set (to the sending node's name) on every forwarded request.
inline constexpr const char* kForwardedHeader = "X-Xiaozhi-Forwarded-By";

struct NodeForwardingOptions {
  MqttNodeSettings nodes;
  std::string admin_token;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds total_timeout{15000};
};

struct RemoteOnline {
  nlohmann::json devices = nlohmann::json::array();      // each with "node"
  nlohmann::json unreachable = nlohmann::json::array();  // [{"node":..., "error":...}]
};

class NodeForwarder {
 public:
  explicit NodeForwarder(NodeForwardingOptions opts);
  ~NodeForwarder();
  NodeForwarder(const NodeForwarder&) = delete;
  NodeForwarder& operator=(const NodeForwarder&) = delete;

  const std::string& self() const { return opts_.nodes.self; }
  static bool is_forwarded(const net::HttpRequest& req);

  // The answer of the node holding `device_id` to `req` (same method, target and body),
  // or std::nullopt when no other node holds it (or `req` was itself forwarded).
  boost::asio::awaitable<std::optional<net::HttpResponse>> forward(const net::HttpRequest& req,
                                                                   const std::string& device_id);

  // GET /api/devices/online of every other node, asked in parallel.
  boost::asio::awaitable<RemoteOnline> remote_online(const net::HttpRequest& req);

  struct Answer;  // one node's answer (or why there is none)

 private:
  boost::asio::awaitable<std::vector<Answer>> ask(std::vector<const MqttNode*> targets, const net::HttpRequest& req,
                                                  bool stop_at_first_holder);

  NodeForwardingOptions opts_;
  std::shared_ptr<net::HttpClient> client_;
};

// A forwarder when several nodes are configured and MQTT is on, else nullptr. Reads
// server.mqtt.forward_*_seconds; `nodes` from ota_settings_from_config.
std::shared_ptr<NodeForwarder> node_forwarder_from_config(const core::Config& cfg, const MqttNodeSettings& nodes,
                                                          std::string admin_token);

}  // namespace xz::http
