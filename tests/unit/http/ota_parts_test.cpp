// The pure pieces behind the OTA endpoint: request reading, settings, answer building.
#include <arpa/inet.h>

#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "http/ota_request.h"
#include "http/ota_response.h"
#include "http/ota_settings.h"

using namespace xz::http;

namespace {

xz::net::HttpRequest request(std::map<std::string, std::string> headers, std::string body = {}) {
  xz::net::HttpRequest r;
  r.method = "POST";
  r.path = "/xiaozhi/ota/";
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

}  // namespace

TEST(OtaRequest, ReadsIdentityFromHeadersAndVersionFromTheBody) {
  auto r = parse_ota_request(request({{"device-id", "aa:bb:cc:dd:ee:ff"}, {"client-id", "uuid-1"}},
                                     R"({"application":{"version":"2.4.2"},"board":{"type":"bread"}})"),
                             1024);
  EXPECT_EQ(r.device_id, "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(r.client_id, "uuid-1");
  EXPECT_EQ(r.firmware_version, "2.4.2");
  EXPECT_EQ(r.board, "bread");
}

TEST(OtaRequest, FallbacksAndOddTypes) {
  // Client-Id absent -> the device id (as manager-api does); wrong JSON types are ignored.
  auto r = parse_ota_request(
      request({{"device-id", "aa:bb"}}, R"({"application":{"version":242},"board":"x","model":"m1"})"), 1024);
  EXPECT_EQ(r.client_id, "aa:bb");
  EXPECT_EQ(r.firmware_version, "");
  EXPECT_EQ(r.board, "m1");
  auto q = request({}, "{}");
  q.query["device-id"] = "11:22";
  EXPECT_EQ(parse_ota_request(q, 1024).device_id, "11:22") << "browser pages pass ids in the query";
}

TEST(OtaRequest, ControlCharactersAndLengthsAreBounded) {
  auto r = parse_ota_request(
      request({{"device-id", "aa"}},
              R"({"application":{"version":"1.0\n\u0000x"},"board":{"type":")" + std::string(300, 'b') + R"("}})"),
      4096);
  EXPECT_EQ(r.firmware_version.find('\n'), std::string::npos);
  EXPECT_EQ(r.firmware_version.find('\0'), std::string::npos);
  EXPECT_EQ(r.board.size(), 64u);
  EXPECT_THROW(parse_ota_request(request({{"device-id", "aa"}, {"client-id", "has space"}}), 10), BadRequest);
  try {
    parse_ota_request(request({{"device-id", "aa"}}, std::string(11, ' ')), 10);
    FAIL();
  } catch (const BadRequest& e) {
    EXPECT_EQ(e.status(), 413);
  }
}

TEST(OtaSettings, UrlsFromConfiguredValues) {
  using Urls = std::vector<std::string>;
  EXPECT_EQ(websocket_urls_for("", "192.168.1.5", 8000), Urls{"ws://192.168.1.5:8000/xiaozhi/v1/"});
  EXPECT_EQ(websocket_urls_for("ws://你的ip或者域名:端口号/xiaozhi/v1/", "192.168.1.5", 8000),
            Urls{"ws://192.168.1.5:8000/xiaozhi/v1/"});
  EXPECT_EQ(websocket_urls_for("wss://a.example/v1/", "x", 1), Urls{"wss://a.example/v1/"});
  EXPECT_EQ(url_base("http://h.example:8003/mcp/vision/explain"), "http://h.example:8003");
  EXPECT_EQ(url_base("https://h.example"), "https://h.example");
  EXPECT_EQ(url_base("http://你的ip或者域名:端口号/mcp/vision/explain"), "");
  EXPECT_EQ(url_base("ftp://h/x"), "");
  EXPECT_EQ(url_base("http:///x"), "");
}

// The manager's server.websocket is a ";" list; a device must be handed one URL, and the
// same one at every check.
TEST(OtaSettings, ASemicolonListGivesEachDeviceOneUrlAndAlwaysTheSame) {
  using Urls = std::vector<std::string>;
  OtaSettings s;
  s.websocket_urls = websocket_urls_for(" ws://a:8000/xiaozhi/v1/ ;ws://b:8000/xiaozhi/v1/;; ws://你的ip:端口/x ;ws://a:8000/xiaozhi/v1/",
                                        "10.0.0.1", 8000);
  ASSERT_EQ(s.websocket_urls, (Urls{"ws://a:8000/xiaozhi/v1/", "ws://b:8000/xiaozhi/v1/"}));
  std::set<std::string> handed;
  for (int i = 0; i < 32; ++i) {
    const std::string mac = fmt::format("aa:bb:cc:dd:ee:{:02x}", i);
    const std::string& url = websocket_url_for_device(s, mac);
    EXPECT_EQ(url, websocket_url_for_device(s, mac));
    EXPECT_EQ(url, websocket_url_for_device(s, fmt::format("AA:BB:CC:DD:EE:{:02X}", i)));  // case of the MAC
    handed.insert(url);
  }
  EXPECT_EQ(handed.size(), 2u);  // spread over the list
  OtaDeviceReport dev{"aa:bb", "c", "board", "1.0.0", ""};
  EXPECT_EQ(build_ota_response(s, dev, 0, std::nullopt, std::nullopt)["websocket"]["url"],
            websocket_url_for_device(s, "aa:bb"));
  EXPECT_EQ(websocket_urls_for("ws://你的ip或者域名:端口号/xiaozhi/v1/;", "10.0.0.1", 8000),
            Urls{"ws://10.0.0.1:8000/xiaozhi/v1/"});
}

TEST(OtaSettings, FromConfigDefaults) {
  nlohmann::json root = nlohmann::json::object();
  xz::core::set_path(root, "log.data_dir", "/srv/xz");
  auto s = ota_settings_from_config(xz::core::Config(root), "k", "10.1.2.3");
  EXPECT_EQ(s.websocket_urls, std::vector<std::string>{"ws://10.1.2.3:8000/xiaozhi/v1/"});
  EXPECT_EQ(s.websocket_version, 1);
  EXPECT_EQ(s.timezone_offset_minutes, 480);
  EXPECT_EQ(s.firmware_dir, "/srv/xz/bin");
  EXPECT_EQ(s.firmware_cache_ttl, std::chrono::seconds(30));
  EXPECT_EQ(s.fallback_base_url, "http://10.1.2.3:8003");
  EXPECT_EQ(s.download_base_url, "");
  EXPECT_FALSE(s.activation_enabled);
  EXPECT_FALSE(s.auth_enabled);
  EXPECT_EQ(s.mqtt_endpoint, "");
  EXPECT_EQ(s.auth_key, "k");
}

TEST(OtaSettings, LanAddressIsAnIpv4Address) {
  auto ip = detect_lan_ip();
  in_addr a{};
  EXPECT_EQ(inet_pton(AF_INET, ip.c_str(), &a), 1) << ip;
}

TEST(OtaResponse, FirmwareOfferAndActivationBlocks) {
  OtaSettings s;
  s.websocket_urls = {"ws://h/xiaozhi/v1/"};
  s.activation_message = "Bind me";
  OtaDeviceReport dev{"aa:bb", "c", "board", "1.0.0", ""};
  xz::store::ActivationCode code{"123456", "aa:bb", "chal", 0, 100};
  auto j = build_ota_response(s, dev, 5000, FirmwareOffer{"1.1.0", "http://h/x.bin"}, code);
  EXPECT_EQ(j["firmware"]["version"], "1.1.0");
  EXPECT_EQ(j["firmware"]["url"], "http://h/x.bin");
  EXPECT_EQ(j["activation"]["code"], "123456");
  EXPECT_EQ(j["activation"]["message"], "Bind me\n123456");
  EXPECT_EQ(j["activation"]["challenge"], "chal");
  EXPECT_EQ(j["server_time"]["timestamp"], 5000);
}

TEST(OtaRequest, DeepJsonIsABadRequest) {
  // 25,000 levels under a field the endpoint ignores: refused whole, nothing recurses.
  const std::string deep = std::string(25000, '[') + std::string(25000, ']');
  try {
    parse_ota_request(request({{"device-id", "aa"}}, R"({"board":{"type":"b"},"extra":)" + deep + "}"), 1 << 20);
    FAIL() << "a 25,000-deep body was accepted";
  } catch (const BadRequest& e) {
    EXPECT_EQ(e.status(), 400);
  }
}
