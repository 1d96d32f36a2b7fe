#include "http/mqtt_nodes.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "core/fnv1a.h"
#include "http/ota_settings.h"

namespace xz::http {

namespace {

constexpr int kFirmwareTlsPort = 8883;

// splitmix64's finaliser: FNV-1a alone barely mixes its last bytes, and the weights of
// one device over several names must look independent.
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::uint64_t weight(std::uint64_t device_hash, std::string_view node_name) {
  return mix(core::fnv1a(node_name, device_hash ^ 0x9e3779b97f4a7c15ull));
}

bool valid_port(const core::Json& j) { return j.is_number_integer() && j.get<long long>() >= 1 && j.get<long long>() <= 65535; }

}  // namespace

std::string MqttNode::endpoint() const { return host + ":" + std::to_string(tls_port ? *tls_port : port); }

const MqttNode* assign_node(std::span<const MqttNode> nodes, std::string_view device_id) {
  std::string id(device_id);
  for (auto& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::uint64_t h = mix(core::fnv1a(id));
  const MqttNode* best = nullptr;
  std::uint64_t best_weight = 0;
  for (const auto& n : nodes) {
    if (n.down) continue;
    const std::uint64_t w = weight(h, n.name);
    if (!best || w > best_weight || (w == best_weight && n.name < best->name)) {
      best = &n;
      best_weight = w;
    }
  }
  return best;
}

const MqttNode* MqttNodeSettings::find(std::string_view name) const {
  for (const auto& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

MqttNodeSettings mqtt_nodes_from_config(const core::Config& cfg, const std::string& lan_ip) {
  std::vector<std::string> problems;
  MqttNodeSettings out;
  const std::string public_host = cfg.str("server.mqtt.public_host");
  const std::string own_host = public_host.empty() ? lan_ip : public_host;
  out.self = cfg.str("server.mqtt.node_name");

  const core::Json* list = cfg.find("server.mqtt.nodes");
  if (!list || list->is_null() || (list->is_array() && list->empty())) {
    MqttNode self;
    self.name = out.self.empty() ? "local" : out.self;
    self.host = own_host;
    self.port = cfg.get<int>("server.mqtt.port", 1883);
    const bool tls_configured = !cfg.str("server.mqtt.tls_cert").empty() && !cfg.str("server.mqtt.tls_key").empty();
    if (tls_configured && cfg.get<bool>("server.mqtt.ota_tls", true)) {
      const int tls_port = cfg.get<int>("server.mqtt.tls_port", kFirmwareTlsPort);
      if (tls_port != kFirmwareTlsPort)
        problems.push_back("server.mqtt.tls_port: devices use TLS only on port 8883; set it to 8883 or "
                           "server.mqtt.ota_tls to false (hand out the plain port)");
      self.tls_port = tls_port;
    }
    out.self = self.name;
    out.nodes.push_back(std::move(self));
    if (!problems.empty()) throw core::ConfigError(std::move(problems));
    return out;
  }
  if (!list->is_array()) throw core::ConfigError({"server.mqtt.nodes: must be a list of {name, host, port, api_url}"});

  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string key = "server.mqtt.nodes[" + std::to_string(i) + "]";
    const core::Json& j = (*list)[i];
    if (!j.is_object()) {
      problems.push_back(key + ": must be a map {name, host, port, tls_port, api_url, down}");
      continue;
    }
    MqttNode n;
    auto name = j.find("name");
    if (name == j.end() || !name->is_string() || name->get<std::string>().empty()) {
      problems.push_back(key + ".name: required (a non-empty string)");
    } else {
      n.name = name->get<std::string>();
      if (std::any_of(out.nodes.begin(), out.nodes.end(), [&](const MqttNode& o) { return o.name == n.name; }))
        problems.push_back(key + ".name: duplicate node name '" + n.name + "'");
    }
    if (auto h = j.find("host"); h != j.end() && h->is_string()) n.host = h->get<std::string>();
    else if (h != j.end() && !h->is_null()) problems.push_back(key + ".host: must be a string");
    if (auto p = j.find("port"); p != j.end()) {
      if (valid_port(*p)) n.port = p->get<int>();
      else problems.push_back(key + ".port: must be a port number (1-65535)");
    }
    if (auto p = j.find("tls_port"); p != j.end() && !p->is_null()) {
      if (!valid_port(*p)) problems.push_back(key + ".tls_port: must be a port number (1-65535)");
      else if (p->get<int>() != kFirmwareTlsPort)
        problems.push_back(key + ".tls_port: devices use TLS only on port 8883");
      else n.tls_port = p->get<int>();
    }
    if (auto d = j.find("down"); d != j.end() && !d->is_null()) {
      if (d->is_boolean()) n.down = d->get<bool>();
      else problems.push_back(key + ".down: must be true or false");
    }
    std::string api;
    if (auto a = j.find("api_url"); a != j.end() && a->is_string()) api = a->get<std::string>();
    n.api_url = url_base(api);
    if (n.api_url.empty() || api.rfind(n.api_url, 0) != 0 || (api.size() > n.api_url.size() && api != n.api_url + "/"))
      problems.push_back(key + ".api_url: must be the node's HTTP base URL, e.g. http://10.0.0.2:8003 (got '" + api + "')");
    out.nodes.push_back(std::move(n));
  }
  const MqttNode* self = out.find(out.self);
  if (out.self.empty()) {
    problems.push_back("server.mqtt.node_name: required with server.mqtt.nodes (which entry is this server)");
  } else if (!self) {
    problems.push_back("server.mqtt.node_name: '" + out.self + "' is not a name in server.mqtt.nodes");
  }
  for (std::size_t i = 0; i < out.nodes.size(); ++i) {
    auto& n = out.nodes[i];
    if (n.host.empty()) {
      if (n.name == out.self) n.host = own_host;
      else if (!n.name.empty()) problems.push_back("server.mqtt.nodes[" + std::to_string(i) + "].host: required (the host devices are told)");
    }
  }
  if (!problems.empty()) throw core::ConfigError(std::move(problems));
  return out;
}

}  // namespace xz::http
