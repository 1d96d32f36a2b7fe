// POST/GET /xiaozhi/ota/ on a real server, driven with the firmware's own request.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <regex>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "ota_fixture.h"
#include "protocol/device_token.h"

using xz::test::firmware_body;
using xz::test::firmware_headers;
using xz::test::http_request;
using xz::test::kClientId;
using xz::test::kDeviceId;
using xz::test::kPinnedMs;
using xz::test::OtaServer;
using xz::test::Overrides;

namespace {

std::string hmac_sha256(const std::string& key, const std::string& msg) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(msg.data()),
       msg.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string base64url_nopad(const std::string& bytes) {
  std::string s = base64(bytes);
  for (auto& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

void expect_cors(const xz::test::HttpResult& r) {
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(r.header("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(r.header("Access-Control-Allow-Headers"), "client-id, content-type, device-id, authorization");
}

}  // namespace

TEST(OtaCheck, AnswersEveryFieldForTheFirmwaresRealRequest) {
  OtaServer srv;
  auto r = srv.check();
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  expect_cors(r);
  auto j = nlohmann::json::parse(r.body);

  EXPECT_EQ(j["server_time"]["timestamp"], kPinnedMs) << "milliseconds since the epoch";
  EXPECT_EQ(j["server_time"]["timezone_offset"], 480) << "minutes (default +8 h)";
  EXPECT_EQ(j["firmware"]["version"], "2.4.2") << "the device's own version: no upgrade";
  EXPECT_EQ(j["firmware"]["url"], "");
  EXPECT_EQ(j["websocket"]["url"], "ws://10.0.0.5:8000/xiaozhi/v1/");
  EXPECT_EQ(j["websocket"]["token"], "") << "auth is off";
  EXPECT_EQ(j["websocket"]["version"], 1);
  EXPECT_FALSE(j.contains("mqtt")) << "an mqtt object, even empty, would switch the device to MQTT";
  EXPECT_FALSE(j.contains("activation")) << "activation is off by default";
  EXPECT_EQ(j.size(), 3u) << r.body;
}

TEST(OtaCheck, RecordsTheDeviceInTheStore) {
  OtaServer srv;
  srv.check("2.4.2");
  auto dev =
      boost::asio::co_spawn(srv.runtime().loop(0), srv.store().find_device(kDeviceId), boost::asio::use_future).get();
  ASSERT_TRUE(dev);
  EXPECT_EQ(dev->client_id, kClientId);
  EXPECT_EQ(dev->board, "bread-compact-wifi");
  EXPECT_EQ(dev->firmware_version, "2.4.2");
  EXPECT_EQ(dev->last_seen, kPinnedMs / 1000);
}

TEST(OtaCheck, ConfiguredValuesReachTheAnswer) {
  OtaServer srv(Overrides{{"server.websocket", "wss://voice.example.com/xiaozhi/v1/"},
                          {"server.timezone_offset", -5.5},
                          {"server.websocket_protocol_version", 3}});
  auto j = srv.check_json();
  EXPECT_EQ(j["websocket"]["url"], "wss://voice.example.com/xiaozhi/v1/");
  EXPECT_EQ(j["websocket"]["version"], 3);
  EXPECT_EQ(j["server_time"]["timezone_offset"], -330);
}

TEST(OtaCheck, TheReferencePlaceholderWebsocketUrlFallsBackToTheLanAddress) {
  OtaServer srv(Overrides{{"server.websocket", "ws://你的ip或者域名:端口号/xiaozhi/v1/"}, {"server.port", 8123}});
  EXPECT_EQ(srv.check_json()["websocket"]["url"], "ws://10.0.0.5:8123/xiaozhi/v1/");
}

TEST(OtaCheck, EchoesWhateverVersionTheDeviceRuns) {
  OtaServer srv;
  EXPECT_EQ(srv.check_json("1.6.0")["firmware"]["version"], "1.6.0");
  EXPECT_EQ(srv.check_json("2.10.1")["firmware"]["version"], "2.10.1");
}

TEST(OtaCheck, OffersANewerImageForTheDevicesBoardOnly) {
  OtaServer srv;
  srv.put_firmware("bread-compact-wifi_2.4.9.bin", "older");
  srv.put_firmware("bread-compact-wifi_2.5.0.bin", "the 2.5.0 image");
  srv.put_firmware("bread-compact-wifi_3.x.bin", "not comparable by the firmware");
  srv.put_firmware("other-board_9.9.9.bin", "someone else's");

  auto j = srv.check_json("2.4.2");
  EXPECT_EQ(j["firmware"]["version"], "2.5.0");
  const std::string url = j["firmware"]["url"];
  const std::string base = "http://127.0.0.1:" + std::to_string(srv.port());
  EXPECT_EQ(url, base + "/xiaozhi/ota/download/bread-compact-wifi_2.5.0.bin");

  // The device then GETs the URL it was given.
  auto dl = http_request(srv.port(), "GET", url.substr(base.size()));
  EXPECT_EQ(dl.status, 200);
  EXPECT_EQ(dl.body, "the 2.5.0 image");
  EXPECT_EQ(dl.header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(dl.header("Content-Length"), "15");

  EXPECT_EQ(srv.check_json("2.5.0")["firmware"]["version"], "2.5.0") << "already up to date";
  EXPECT_EQ(srv.check_json("2.5.0")["firmware"]["url"], "");
  EXPECT_EQ(srv.check_json("2.6.0")["firmware"]["version"], "2.6.0") << "never a downgrade";
  EXPECT_EQ(srv.check_json("1.0.0", kDeviceId, "unknown-board")["firmware"]["url"], "");
}

TEST(OtaCheck, ConfiguredPublicUrlIsTheDownloadBase) {
  OtaServer srv(Overrides{{"server.vision_explain", "https://xz.example.com:8443/mcp/vision/explain"}});
  srv.put_firmware("bread-compact-wifi_9.0.0.bin", "x");
  EXPECT_EQ(srv.check_json()["firmware"]["url"],
            "https://xz.example.com:8443/xiaozhi/ota/download/bread-compact-wifi_9.0.0.bin");
}

TEST(OtaCheck, MqttBlockOnlyWhenAGatewayIsConfigured) {
  {
    OtaServer srv(Overrides{{"server.mqtt_gateway", ""}});
    EXPECT_FALSE(srv.check_json().contains("mqtt"));
  }
  OtaServer srv(
      Overrides{{"server.mqtt_gateway", "mqtt.example.com:1883"}, {"server.mqtt_signature_key", "sig-key"}});
  auto j = srv.check_json();
  ASSERT_TRUE(j.contains("mqtt")) << j.dump();
  const auto& m = j["mqtt"];
  EXPECT_EQ(m["endpoint"], "mqtt.example.com:1883");
  const std::string client_id = "GID_bread-compact-wifi@@@aa_bb_cc_dd_ee_ff@@@aa_bb_cc_dd_ee_ff";
  EXPECT_EQ(m["client_id"], client_id);
  const std::string username = base64(R"({"ip": "unknown"})");
  EXPECT_EQ(m["username"], username);
  EXPECT_EQ(m["password"], base64(hmac_sha256("sig-key", client_id + "|" + username)));
  EXPECT_EQ(m["publish_topic"], "device-server");
  EXPECT_EQ(m["subscribe_topic"], "devices/p2p/aa_bb_cc_dd_ee_ff");
  EXPECT_TRUE(j.contains("websocket")) << "kept for NVS; the mqtt object decides the transport";
}

TEST(OtaCheck, TokenIsTheReferenceHmacWhenAuthIsOn) {
  OtaServer srv(Overrides{{"server.auth.enabled", true}, {"server.auth_key", "xiaozhi-test-key-0123456789"}});
  std::string token = srv.check_json()["websocket"]["token"];
  const std::int64_t ts = kPinnedMs / 1000;
  const std::string expected =
      base64url_nopad(hmac_sha256("xiaozhi-test-key-0123456789",
                                  std::string(kClientId) + "|" + kDeviceId + "|" + std::to_string(ts))) +
      "." + std::to_string(ts);
  EXPECT_EQ(token, expected);
  EXPECT_EQ(xz::protocol::verify_device_token("xiaozhi-test-key-0123456789", token, kClientId, kDeviceId, ts + 60, 0),
            xz::protocol::TokenCheck::ok);
  EXPECT_NE(xz::protocol::verify_device_token("another-key", token, kClientId, kDeviceId, ts + 60, 0),
            xz::protocol::TokenCheck::ok);
}

TEST(OtaCheck, AllowedDevicesGetNoToken) {
  OtaServer srv(Overrides{{"server.auth.enabled", true},
                          {"server.auth.allowed_devices", nlohmann::json::array({"AA:BB:CC:DD:EE:FF"})}});
  EXPECT_EQ(srv.check_json()["websocket"]["token"], "");
  EXPECT_NE(srv.check_json("2.4.2", "11:22:33:44:55:66")["websocket"]["token"], "");
}

TEST(OtaCheck, MalformedJsonIs400WithAReason) {
  OtaServer srv;
  auto r = http_request(srv.port(), "POST", "/xiaozhi/ota/", "{\"application\": {", firmware_headers());
  EXPECT_EQ(r.status, 400);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["success"], false);
  EXPECT_NE(j["message"].get<std::string>().find("JSON"), std::string::npos) << r.body;
  expect_cors(r);

  r = http_request(srv.port(), "POST", "/xiaozhi/ota/", "[1,2,3]", firmware_headers());
  EXPECT_EQ(r.status, 400) << "a JSON array is not a report";
}

TEST(OtaCheck, OversizedBodyIs413) {
  OtaServer srv;
  std::string big = firmware_body();
  big.insert(big.size() - 1, ",\"pad\":\"" + std::string(100 * 1024, 'x') + "\"");
  auto r = http_request(srv.port(), "POST", "/xiaozhi/ota/", big, firmware_headers());
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["success"], false);
}

TEST(OtaCheck, MissingOrBadDeviceIdIs400) {
  OtaServer srv;
  auto headers = firmware_headers();
  headers.erase(headers.begin() + 1);  // Device-Id
  auto r = http_request(srv.port(), "POST", "/xiaozhi/ota/", firmware_body(), headers);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(nlohmann::json::parse(r.body)["message"].get<std::string>().find("Device-Id"), std::string::npos);

  r = http_request(srv.port(), "POST", "/xiaozhi/ota/", firmware_body(), firmware_headers("aa bb;<script>"));
  EXPECT_EQ(r.status, 400);
  r = http_request(srv.port(), "POST", "/xiaozhi/ota/", firmware_body(), firmware_headers(std::string(65, 'a')));
  EXPECT_EQ(r.status, 400);
}

TEST(OtaCheck, HeadersAloneAreEnough) {
  // No body field is required (py-xiaozhi and test pages send less).
  OtaServer srv;
  auto r = http_request(srv.port(), "POST", "/xiaozhi/ota/", "", firmware_headers());
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["firmware"]["version"], "0.0.0") << "unknown version: never newer than the device's";
  EXPECT_EQ(j["websocket"]["url"], "ws://10.0.0.5:8000/xiaozhi/v1/");

  // The reference's alternative headers name the model and version.
  srv.put_firmware("my-board_1.1.0.bin", "x");
  auto h = firmware_headers();
  h.emplace_back("Device-Model", "my-board");
  h.emplace_back("Device-Version", "1.0.0");
  r = http_request(srv.port(), "POST", "/xiaozhi/ota/", "{}", h);
  EXPECT_EQ(nlohmann::json::parse(r.body)["firmware"]["version"], "1.1.0");
}

TEST(OtaCheck, GetShowsTheWebsocketAddress) {
  OtaServer srv;
  auto r = http_request(srv.port(), "GET", "/xiaozhi/ota/");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("ws://10.0.0.5:8000/xiaozhi/v1/"), std::string::npos) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
  expect_cors(r);
}

TEST(OtaCheck, OptionsPreflightOnEveryDevicePath) {
  OtaServer srv;
  for (const char* path : {"/xiaozhi/ota/", "/xiaozhi/ota/activate", "/xiaozhi/ota/download/x_1.0.bin"}) {
    auto r = http_request(srv.port(), "OPTIONS", path, "",
                          {{"Origin", "http://page.example"}, {"Access-Control-Request-Method", "POST"}});
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.header("Access-Control-Allow-Methods"), "GET, POST, OPTIONS") << path;
    expect_cors(r);
  }
}

TEST(OtaCheck, ManyDevicesAtOnce) {
  OtaServer srv;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        char id[32];
        std::snprintf(id, sizeof id, "02:00:00:00:%02x:%02x", t, i);
        auto r = srv.check("2.4.2", id);
        if (r.status == 200) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 40);
  auto all =
      boost::asio::co_spawn(srv.runtime().loop(0), srv.store().list_devices(100), boost::asio::use_future).get();
  EXPECT_EQ(all.size(), 40u);
}
