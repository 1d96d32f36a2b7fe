// The endpoint URL handed to devices, config keys, and the tokens the session issues.
#include <gtest/gtest.h>

#include "http/vision_settings.h"
#include "protocol/vision_token.h"
#include "vision_fixture.h"

using namespace std::chrono_literals;
using xz::http::make_vision_token;
using xz::http::vision_explain_url;

namespace {

double unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

TEST(VisionSettings, ExplainUrlFromConfigOrLanAddress) {
  EXPECT_EQ(vision_explain_url("", "192.168.1.5", 8003), "http://192.168.1.5:8003/mcp/vision/explain");
  EXPECT_EQ(vision_explain_url("https://vision.example.com/mcp/vision/explain", "192.168.1.5", 8003),
            "https://vision.example.com/mcp/vision/explain");
  EXPECT_EQ(vision_explain_url("http://你的ip或者域名:端口号/mcp/vision/explain", "10.1.2.3", 9000),
            "http://10.1.2.3:9000/mcp/vision/explain")
      << "the reference's placeholder counts as unset";
  EXPECT_EQ(vision_explain_url("", "fd00::5", 8003), "http://[fd00::5]:8003/mcp/vision/explain");
}

TEST(VisionSettings, ReadsItsKeys) {
  nlohmann::json root = nlohmann::json::object();
  xz::core::set_path(root, "server.http_port", 8100);
  auto defaults = xz::http::vision_settings_from_config(xz::core::Config(root), "10.0.0.7");
  EXPECT_EQ(defaults.explain_url, "http://10.0.0.7:8100/mcp/vision/explain");
  EXPECT_FALSE(defaults.allow_test_client);
  EXPECT_EQ(defaults.max_image_bytes, 5u * 1024 * 1024);
  EXPECT_EQ(defaults.max_concurrent, 16u);
  EXPECT_EQ(defaults.token_lifetime, 3600s);

  xz::core::set_path(root, "server.vision_explain", "http://cam.lan/mcp/vision/explain");
  xz::core::set_path(root, "server.vision_allow_test_client", true);
  xz::core::set_path(root, "server.vision_max_concurrent", 4);
  xz::core::set_path(root, "server.vision_token_lifetime_seconds", 7200);
  auto s = xz::http::vision_settings_from_config(xz::core::Config(root), "10.0.0.7");
  EXPECT_EQ(s.explain_url, "http://cam.lan/mcp/vision/explain");
  EXPECT_TRUE(s.allow_test_client);
  EXPECT_EQ(s.max_concurrent, 4u);
  EXPECT_EQ(s.token_lifetime, 7200s);
}

TEST(VisionSettings, IssuedTokenVerifiesForItsDeviceUntilItExpires) {
  const auto& codec = xz::test::vision_codec();
  const auto now = std::chrono::system_clock::now();
  std::string token = make_vision_token(codec, "aa:bb:cc:dd:ee:ff", 1h, now);
  EXPECT_EQ(codec.verify(token, unix_seconds(now)), "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(codec.verify(token, unix_seconds(now + 59min)), "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(codec.verify(token, unix_seconds(now + 61min)), std::nullopt);
  EXPECT_NE(make_vision_token(codec, "aa:bb:cc:dd:ee:ff", 1h, now), token) << "a fresh IV each time";
}
