// Several servers (issue 18): two real xiaozhi-server processes list each other as MQTT
// nodes; the OTA answer spreads devices over both, and the push API of either node
// reaches a device held by the other (speak, MCP tool call, online list). Devices are
// WebSocket simulators connected to the node their OTA answer named.
#include <signal.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "net/http_client.h"
#include "sim/sim_device.h"
#include "support/child_process.h"
#include "support/test_server.h"
#include "build_paths.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::DeviceProfile;
using xz::sim::SimDevice;
using xz::test::ChildProcess;
using xz::test::ClientLoop;

namespace {

constexpr const char* kAdminToken = "admin-secret-token-of-32-characters";

struct NodePorts {
  std::string name;
  unsigned short http = 0, ws = 0, mqtt = 0, udp = 0;
  std::string http_base() const { return "http://127.0.0.1:" + std::to_string(http); }
  std::string ws_url() const { return "ws://127.0.0.1:" + std::to_string(ws) + "/xiaozhi/v1/"; }
};

// One real server process on free ports, started from a generated configuration;
// ready once it logged "ready" and answers /health.
class NodeProcess {
 public:
  NodeProcess(const NodePorts& self, const std::vector<NodePorts>& all, const std::string& root) {
    dir_ = root + "/" + self.name;
    std::filesystem::create_directories(dir_);
    json nodes = json::array();
    for (const auto& n : all)
      nodes.push_back({{"name", n.name}, {"host", "127.0.0.1"}, {"port", n.mqtt}, {"api_url", n.http_base()}});
    json cfg = {{"server",
                 {{"ip", "127.0.0.1"},
                  {"port", self.ws},
                  {"http_port", self.http},
                  {"admin_token", kAdminToken},
                  {"mqtt_signature_key", "node-test-signature-key"},
                  {"mqtt",
                   {{"enabled", true},
                    {"port", self.mqtt},
                    {"udp_port", self.udp},
                    {"public_host", "127.0.0.1"},
                    {"node_name", self.name},
                    {"nodes", nodes},
                    {"forward_connect_timeout_seconds", 1},
                    {"forward_timeout_seconds", 10}}}}},
                {"log", {{"data_dir", dir_}, {"log_dir", dir_ + "/log"}}}};
    const std::string path = dir_ + "/config.yaml";
    std::ofstream(path) << cfg.dump(2);  // JSON is YAML
    proc_ = std::make_unique<ChildProcess>(XZ_SERVER_BINARY, std::vector<std::string>{"--config", path}, dir_);
    ready_ = proc_->wait_for_output("ready", 30s) &&
             xz::test::http_request(self.http, "GET", "/health").status == 200;
  }
  bool ready() const { return ready_; }
  const std::string& output() const { return proc_->output(); }
  void stop() {
    proc_->signal(SIGTERM);
    (void)proc_->wait_exit(10s);
  }

 private:
  std::string dir_;
  std::unique_ptr<ChildProcess> proc_;
  bool ready_ = false;
};

Task<xz::net::HttpClientResponse> admin(xz::net::HttpClient& http, std::string method, std::string url,
                                        json body = nullptr) {
  xz::net::HttpClientRequest req;
  req.method = std::move(method);
  req.url = std::move(url);
  req.headers = {{"Authorization", std::string("Bearer ") + kAdminToken}};
  if (!body.is_null()) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body.dump();
  }
  req.total_timeout = 20s;
  co_return co_await http.request(std::move(req));
}

// The device's MCP tools are listed once its node reports it ready (the listing ends
// on the server's loop, which the device cannot observe: polled, bounded).
Task<bool> wait_mcp_ready(xz::net::HttpClient& http, const NodePorts& node, const std::string& device_id) {
  for (int attempt = 0; attempt < 500; ++attempt) {
    auto res = co_await admin(http, "GET", node.http_base() + "/api/devices/online");
    json online = json::parse(res.body, nullptr, false);
    if (online.is_object())
      for (const auto& d : online["devices"])
        if (d.value("device_id", "") == device_id && d["tools"].is_object() &&
            d["tools"].value("device_mcp_ready", false))
          co_return true;
    co_await xz::core::sleep_for(20ms);
  }
  co_return false;
}

std::string temp_root() {
  auto d = std::filesystem::temp_directory_path() / ("xz_nodes_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

}  // namespace

TEST(SeveralServers, OtaSpreadsDevicesAndEitherNodeReachesADeviceOnTheOther) {
  const std::string root = temp_root();
  std::vector<NodePorts> ports(2);
  ports[0].name = "a";
  ports[1].name = "b";
  for (auto& p : ports) {
    p.http = xz::test::free_port();
    p.ws = xz::test::free_port();
    p.mqtt = xz::test::free_port();
    p.udp = xz::test::free_port();
  }
  NodeProcess a(ports[0], ports, root);
  ASSERT_TRUE(a.ready()) << a.output();
  NodeProcess b(ports[1], ports, root);
  ASSERT_TRUE(b.ready()) << b.output();

  ClientLoop loop;
  loop.run(
      [&]() -> Task<void> {
        auto ex = co_await boost::asio::this_coro::executor;
        xz::net::HttpClient http;

        // OTA (asked of node a) names each device's node by its MQTT endpoint.
        std::map<unsigned short, std::size_t> node_by_mqtt_port{{ports[0].mqtt, 0}, {ports[1].mqtt, 1}};
        std::vector<std::unique_ptr<SimDevice>> devices;
        std::vector<std::size_t> home;
        std::array<std::size_t, 2> on{0, 0};
        for (int i = 0; i < 40 && (on[0] < 2 || on[1] < 2); ++i) {
          DeviceProfile profile;
          profile.device_id = fmt::format("24:0a:c4:00:10:{:02x}", i);
          auto dev = std::make_unique<SimDevice>(ex, profile);
          int status = 0;
          json answer = co_await dev->check_ota(ports[i % 2].http_base() + "/xiaozhi/ota/", &status);
          EXPECT_EQ(status, 200);
          const std::string endpoint = answer["mqtt"].value("endpoint", "");
          const auto colon = endpoint.rfind(':');
          EXPECT_EQ(endpoint.substr(0, colon), "127.0.0.1");
          const auto port = static_cast<unsigned short>(std::stoi(endpoint.substr(colon + 1)));
          EXPECT_TRUE(node_by_mqtt_port.count(port)) << endpoint;
          const std::size_t n = node_by_mqtt_port[port];
          if (on[n] >= 2) continue;
          ++on[n];
          ConnectOptions o;
          o.url = ports[n].ws_url();
          co_await dev->connect(o);
          EXPECT_TRUE((co_await dev->wait_hello()).has_value());
          EXPECT_TRUE(co_await wait_mcp_ready(http, ports[n], profile.device_id)) << profile.device_id;
          devices.push_back(std::move(dev));
          home.push_back(n);
        }
        EXPECT_EQ(on[0], 2u);
        EXPECT_EQ(on[1], 2u);

        // Both nodes list all four, each with the node that holds it.
        for (const auto& node : ports) {
          auto res = co_await admin(http, "GET", node.http_base() + "/api/devices/online");
          EXPECT_EQ(res.status, 200) << res.body;
          json online = json::parse(res.body, nullptr, false);
          EXPECT_EQ(online["devices"].size(), devices.size()) << res.body;
          EXPECT_TRUE(online["unreachable_nodes"].empty()) << res.body;
          for (const auto& d : online["devices"]) {
            for (std::size_t i = 0; i < devices.size(); ++i) {
              if (d.value("device_id", "") == devices[i]->profile().device_id) {
                EXPECT_EQ(d.value("node", ""), ports[home[i]].name) << res.body;
              }
            }
          }
        }

        // A push sent to the node that does not hold the device reaches it.
        for (std::size_t i = 0; i < devices.size(); ++i) {
          auto& dev = *devices[i];
          const auto& other = ports[1 - home[i]];
          const std::string id = dev.profile().device_id;
          const int volume = 10 + static_cast<int>(i);
          // Bodies are named: g++ 12 cannot build an initializer list inside a co_await.
          json call_body = {{"name", "self.audio_speaker.set_volume"}, {"arguments", {{"volume", volume}}}};
          auto called = co_await admin(http, "POST", other.http_base() + "/api/devices/" + id + "/mcp",
                                       std::move(call_body));
          EXPECT_EQ(called.status, 200) << called.body;
          EXPECT_EQ(json::parse(called.body, nullptr, false).value("success", false), true) << called.body;
          EXPECT_EQ(dev.mcp().volume(), volume) << id << " via node " << other.name;

          const std::string text = "Hello from node " + other.name + ".";
          json speak_body = {{"text", text}};
          auto spoke = co_await admin(http, "POST", other.http_base() + "/api/devices/" + id + "/speak",
                                      std::move(speak_body));
          EXPECT_EQ(spoke.status, 200) << spoke.body;
          auto sentence = co_await dev.wait_type("tts", "sentence_start", 10s);
          EXPECT_TRUE(sentence && sentence->value("text", "") == text) << id;
          EXPECT_TRUE((co_await dev.wait_type("tts", "stop", 10s)).has_value()) << id;
        }

        // A device no node holds: 404 after asking the other node.
        json hi = {{"text", "hi"}};
        auto none = co_await admin(http, "POST", ports[0].http_base() + "/api/devices/00:11:22:33:44:55/speak",
                                   std::move(hi));
        EXPECT_EQ(none.status, 404) << none.body;
        // A forwarded request is answered locally only (no loops): node b, asked as if
        // forwarded, does not look on node a.
        {
          std::size_t on_a = 0;
          while (on_a < devices.size() && home[on_a] != 0) ++on_a;
          xz::net::HttpClientRequest req;
          req.method = "POST";
          req.url = ports[1].http_base() + "/api/devices/" + devices[on_a]->profile().device_id + "/speak";
          req.headers = {{"Authorization", std::string("Bearer ") + kAdminToken},
                         {"X-Xiaozhi-Forwarded-By", "a"},
                         {"Content-Type", "application/json"}};
          req.body = R"({"text":"loop?"})";
          auto res = co_await http.request(std::move(req));
          EXPECT_EQ(res.status, 404) << res.body;
        }
        for (auto& d : devices) d->drop_connection();
      }(),
      180s);

  // Node b gone: a lists its own devices and names b, within about one connect timeout.
  b.stop();
  const auto t0 = std::chrono::steady_clock::now();
  auto res = xz::test::http_request(ports[0].http, "GET", "/api/devices/online", {},
                                    {{"Authorization", std::string("Bearer ") + kAdminToken}});
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(res.status, 200) << res.body;
  json online = json::parse(res.body, nullptr, false);
  ASSERT_TRUE(online.is_object()) << res.body;
  ASSERT_EQ(online["unreachable_nodes"].size(), 1u) << res.body;
  EXPECT_EQ(online["unreachable_nodes"][0]["node"], "b");
  EXPECT_LT(took, 3s);
  a.stop();
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
}
