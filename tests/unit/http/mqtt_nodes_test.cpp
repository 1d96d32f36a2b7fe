// Assigning devices to MQTT nodes (rendezvous hashing), the node list's validation and
// the OTA answer's mqtt block for the server's own endpoint.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/config.h"
#include "http/mqtt_nodes.h"
#include "http/ota_response.h"
#include "http/ota_settings.h"
#include "protocol/encoding.h"
#include "protocol/mqtt_credentials.h"

using namespace xz::http;
using nlohmann::json;

namespace {

std::vector<MqttNode> nodes(std::initializer_list<const char*> names) {
  std::vector<MqttNode> out;
  for (const char* n : names) {
    MqttNode node;
    node.name = n;
    node.host = std::string(n) + ".example.com";
    node.api_url = "http://" + node.host + ":8003";
    out.push_back(node);
  }
  return out;
}

std::string mac(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "24:0a:c4:%02x:%02x:%02x", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
  return buf;
}

xz::core::Config config(const std::vector<std::pair<std::string, json>>& overrides) {
  json root = json::object();
  for (const auto& [k, v] : overrides) xz::core::set_path(root, k, v);
  return xz::core::Config(root);
}

std::vector<std::string> problems_of(const std::vector<std::pair<std::string, json>>& overrides) {
  try {
    (void)ota_settings_from_config(config(overrides), "k", "10.0.0.5");
  } catch (const xz::core::ConfigError& e) {
    return e.problems();
  }
  return {};
}

bool mentions(const std::vector<std::string>& problems, const std::string& key) {
  for (const auto& p : problems)
    if (p.rfind(key, 0) == 0) return true;
  return false;
}

json three_nodes() {
  return json::parse(R"([
    {"name": "a", "host": "a.example.com", "port": 1883, "api_url": "http://10.0.0.1:8003"},
    {"name": "b", "host": "b.example.com", "port": 1884, "tls_port": 8883, "api_url": "http://10.0.0.2:8003/"},
    {"name": "c", "host": "", "api_url": "https://10.0.0.3:8443"}])");
}

}  // namespace

TEST(MqttNodes, AssignmentIsStableAndIgnoresMacCase) {
  auto ns = nodes({"a", "b", "c"});
  for (int i = 0; i < 200; ++i) {
    const MqttNode* first = assign_node(ns, mac(i));
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(assign_node(ns, mac(i)), first);
    std::string upper = mac(i);
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(assign_node(ns, upper), first) << upper;
  }
  // The order of the list does not matter, only the names.
  auto reversed = std::vector<MqttNode>(ns.rbegin(), ns.rend());
  for (int i = 0; i < 200; ++i) EXPECT_EQ(assign_node(ns, mac(i))->name, assign_node(reversed, mac(i))->name);
}

TEST(MqttNodes, ThousandDevicesSpreadEvenlyOverThreeNodes) {
  auto ns = nodes({"a", "b", "c"});
  std::map<std::string, int> count;
  for (int i = 0; i < 1000; ++i) ++count[assign_node(ns, mac(i))->name];
  ASSERT_EQ(count.size(), 3u);
  // 333 expected each; +-20 % is about 4.5 standard deviations of a fair split.
  for (const auto& [name, n] : count) {
    EXPECT_GT(n, 266) << name;
    EXPECT_LT(n, 400) << name;
  }
}

TEST(MqttNodes, MarkingANodeDownMovesOnlyItsDevices) {
  auto ns = nodes({"a", "b", "c", "d"});
  std::vector<std::string> before;
  for (int i = 0; i < 1000; ++i) before.push_back(assign_node(ns, mac(i))->name);
  ns[1].down = true;  // "b"
  int moved = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string after = assign_node(ns, mac(i))->name;
    EXPECT_NE(after, "b");
    if (before[i] != "b") {
      EXPECT_EQ(after, before[i]) << mac(i) << " moved although its node is up";
    } else {
      ++moved;
    }
  }
  EXPECT_GT(moved, 150);  // b held about a quarter
  ns[1].down = false;
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(assign_node(ns, mac(i))->name, before[i]) << "back up: back home";
  for (auto& n : ns) n.down = true;
  EXPECT_EQ(assign_node(ns, mac(1)), nullptr);
}

TEST(MqttNodes, NoListIsThisServerAloneAtItsPublicHost) {
  auto s = ota_settings_from_config(config({{"server.mqtt.enabled", true}, {"server.mqtt_signature_key", "sig"}}),
                                    "k", "10.0.0.5");
  ASSERT_EQ(s.mqtt_nodes.nodes.size(), 1u);
  EXPECT_EQ(s.mqtt_nodes.self, "local");
  EXPECT_EQ(s.mqtt_nodes.nodes[0].endpoint(), "10.0.0.5:1883") << "empty public_host = the LAN address";
  EXPECT_FALSE(s.mqtt_nodes.several());

  s = ota_settings_from_config(config({{"server.mqtt.enabled", true},
                                       {"server.mqtt_signature_key", "sig"},
                                       {"server.mqtt.public_host", "mqtt.example.com"},
                                       {"server.mqtt.port", 11883}}),
                               "k", "10.0.0.5");
  EXPECT_EQ(s.mqtt_nodes.nodes[0].endpoint(), "mqtt.example.com:11883");
}

TEST(MqttNodes, TlsPortIsHandedOutOnlyWhenConfiguredAndChosen) {
  std::vector<std::pair<std::string, json>> base = {{"server.mqtt.enabled", true},
                                                    {"server.mqtt_signature_key", "sig"},
                                                    {"server.mqtt.public_host", "m.example.com"},
                                                    {"server.mqtt.tls_cert", "/etc/xz/cert.pem"},
                                                    {"server.mqtt.tls_key", "/etc/xz/key.pem"}};
  EXPECT_EQ(ota_settings_from_config(config(base), "k", "").mqtt_nodes.nodes[0].endpoint(), "m.example.com:8883");
  auto plain = base;
  plain.push_back({"server.mqtt.ota_tls", false});
  EXPECT_EQ(ota_settings_from_config(config(plain), "k", "").mqtt_nodes.nodes[0].endpoint(), "m.example.com:1883");
  auto no_key = base;
  no_key.pop_back();
  EXPECT_EQ(ota_settings_from_config(config(no_key), "k", "").mqtt_nodes.nodes[0].endpoint(), "m.example.com:1883");
  auto odd_port = base;
  odd_port.push_back({"server.mqtt.tls_port", 9883});
  EXPECT_TRUE(mentions(problems_of(odd_port), "server.mqtt.tls_port")) << "the firmware would speak plain TCP to it";
}

TEST(MqttNodes, NodeListIsReadAndItsOwnEntryDefaultsToThePublicHost) {
  auto s = ota_settings_from_config(config({{"server.mqtt.enabled", true},
                                            {"server.mqtt_signature_key", "sig"},
                                            {"server.mqtt.nodes", three_nodes()},
                                            {"server.mqtt.node_name", "c"}}),
                                    "k", "10.0.0.5");
  ASSERT_EQ(s.mqtt_nodes.nodes.size(), 3u);
  EXPECT_TRUE(s.mqtt_nodes.several());
  EXPECT_EQ(s.mqtt_nodes.self, "c");
  EXPECT_EQ(s.mqtt_nodes.nodes[0].endpoint(), "a.example.com:1883");
  EXPECT_EQ(s.mqtt_nodes.nodes[1].endpoint(), "b.example.com:8883");
  EXPECT_EQ(s.mqtt_nodes.nodes[1].api_url, "http://10.0.0.2:8003");
  EXPECT_EQ(s.mqtt_nodes.nodes[2].endpoint(), "10.0.0.5:1883");
  EXPECT_EQ(s.mqtt_nodes.nodes[2].api_url, "https://10.0.0.3:8443");
}

TEST(MqttNodes, StartUpErrorsNameTheBadKey) {
  const std::vector<std::pair<std::string, json>> ok = {{"server.mqtt.enabled", true},
                                                        {"server.mqtt_signature_key", "sig"},
                                                        {"server.mqtt.nodes", three_nodes()},
                                                        {"server.mqtt.node_name", "c"}};
  EXPECT_TRUE(problems_of(ok).empty());
  auto with = [&](const std::string& key, json value) {
    auto o = ok;
    for (auto& [k, v] : o)
      if (k == key) v = value;
    if (std::none_of(o.begin(), o.end(), [&](const auto& kv) { return kv.first == key; })) o.push_back({key, value});
    return problems_of(o);
  };
  EXPECT_TRUE(mentions(with("server.mqtt_signature_key", ""), "server.mqtt_signature_key"));
  EXPECT_TRUE(mentions(with("server.mqtt.node_name", "z"), "server.mqtt.node_name"));
  EXPECT_TRUE(mentions(with("server.mqtt.node_name", ""), "server.mqtt.node_name"));
  auto dup = three_nodes();
  dup[2]["name"] = "a";
  EXPECT_TRUE(mentions(with("server.mqtt.nodes", dup), "server.mqtt.nodes[2].name"));
  auto bad_url = three_nodes();
  bad_url[1]["api_url"] = "ftp://10.0.0.2";
  EXPECT_TRUE(mentions(with("server.mqtt.nodes", bad_url), "server.mqtt.nodes[1].api_url"));
  bad_url[1]["api_url"] = "http://10.0.0.2:8003/api/devices";
  EXPECT_TRUE(mentions(with("server.mqtt.nodes", bad_url), "server.mqtt.nodes[1].api_url")) << "a base URL, no path";
  auto no_host = three_nodes();
  no_host[0]["host"] = "";
  EXPECT_TRUE(mentions(with("server.mqtt.nodes", no_host), "server.mqtt.nodes[0].host"));
  auto bad_port = three_nodes();
  bad_port[0]["port"] = 70000;
  EXPECT_TRUE(mentions(with("server.mqtt.nodes", bad_port), "server.mqtt.nodes[0].port"));
  EXPECT_TRUE(mentions(with("server.mqtt.nodes", json::object()), "server.mqtt.nodes"));
  // Off: nothing of it is read, as before.
  EXPECT_TRUE(problems_of({{"server.mqtt.enabled", false}, {"server.mqtt.node_name", "z"}}).empty());
}

namespace {

OtaDeviceReport device(const std::string& id = "aa:bb:cc:dd:ee:ff") {
  return {id, "5c1a1c2e-8a8f-4d57-9e8b-2f9f0c0f3a11", "bread-compact-wifi", "2.4.2", "192.168.1.23"};
}

}  // namespace

TEST(OtaMqttBlock, BuiltInEndpointBlockVerifiesWithTheOfficialCheck) {
  auto s = ota_settings_from_config(config({{"server.mqtt.enabled", true}, {"server.mqtt_signature_key", "sig-key"}}),
                                    "k", "10.0.0.5");
  auto j = build_ota_response(s, device(), 1000, std::nullopt, std::nullopt);
  ASSERT_TRUE(j.contains("mqtt")) << j.dump();
  const auto& m = j["mqtt"];
  EXPECT_EQ(m["endpoint"], "10.0.0.5:1883");
  EXPECT_EQ(m["client_id"], "GID_bread-compact-wifi@@@aa_bb_cc_dd_ee_ff@@@aa_bb_cc_dd_ee_ff");
  EXPECT_EQ(xz::protocol::base64_decode(m["username"].get<std::string>()).value_or(""), R"({"ip": "192.168.1.23"})");
  EXPECT_TRUE(xz::protocol::check_mqtt_password("sig-key", m["client_id"].get<std::string>(),
                                                m["username"].get<std::string>(), m["password"].get<std::string>()));
  EXPECT_FALSE(xz::protocol::check_mqtt_password("other-key", m["client_id"].get<std::string>(),
                                                 m["username"].get<std::string>(), m["password"].get<std::string>()));
  EXPECT_EQ(m["publish_topic"], "device-server");
  EXPECT_EQ(m["subscribe_topic"], "null");
  EXPECT_EQ(m["keepalive"], 240);
  auto parsed = xz::protocol::parse_mqtt_client_id(m["client_id"].get<std::string>());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->device_id, "aa:bb:cc:dd:ee:ff");
}

TEST(OtaMqttBlock, AbsentWhenDisabledAndGatewayKeepsItsBehaviour) {
  auto off = ota_settings_from_config(config({{"server.mqtt_signature_key", "sig-key"}}), "k", "10.0.0.5");
  EXPECT_FALSE(build_ota_response(off, device(), 1000, std::nullopt, std::nullopt).contains("mqtt"));
  auto gw = ota_settings_from_config(
      config({{"server.mqtt_signature_key", "sig-key"}, {"server.mqtt_gateway", "gw.example.com:1883"}}), "k", "");
  auto m = build_ota_response(gw, device(), 1000, std::nullopt, std::nullopt)["mqtt"];
  EXPECT_EQ(m["endpoint"], "gw.example.com:1883");
  EXPECT_EQ(m["subscribe_topic"], "devices/p2p/aa_bb_cc_dd_ee_ff");
  EXPECT_FALSE(m.contains("keepalive"));
}

TEST(OtaMqttBlock, EachDeviceGetsItsNodeAndNoneWhenAllAreDown) {
  auto s = ota_settings_from_config(config({{"server.mqtt.enabled", true},
                                            {"server.mqtt_signature_key", "sig"},
                                            {"server.mqtt.keepalive_seconds", 90},
                                            {"server.mqtt.nodes", three_nodes()},
                                            {"server.mqtt.node_name", "c"}}),
                                    "k", "10.0.0.5");
  std::set<std::string> endpoints;
  for (int i = 0; i < 60; ++i) {
    auto dev = device(mac(i));
    auto j = build_ota_response(s, dev, 1000, std::nullopt, std::nullopt);
    EXPECT_EQ(j["mqtt"]["endpoint"], assign_node(s.mqtt_nodes.nodes, dev.device_id)->endpoint());
    EXPECT_EQ(j["mqtt"]["keepalive"], 90);
    endpoints.insert(j["mqtt"]["endpoint"].get<std::string>());
  }
  EXPECT_EQ(endpoints, (std::set<std::string>{"a.example.com:1883", "b.example.com:8883", "10.0.0.5:1883"}));
  for (auto& n : s.mqtt_nodes.nodes) n.down = true;
  EXPECT_FALSE(build_ota_response(s, device(), 1000, std::nullopt, std::nullopt).contains("mqtt"))
      << "no node to go to: the device stays on the WebSocket";
}
