// Xunfei Spark streaming recognition frames and URL signing against the spec's vectors
// (§6B worked example, Appendix A.2).
#include <gtest/gtest.h>

#include "protocol/encoding.h"
#include "protocol/json_text.h"
#include "providers/asr/xunfei_iat_wire.h"
#include "providers/tts/xunfei_wire.h"

namespace iat = xz::providers::xunfei_iat;

TEST(XunfeiIatWire, SignsTheAsrUrlAsTheSpecsVector) {
  auto s = xz::providers::xunfei::sign_url("ws://iat.cn-huabei-1.xf-yun.com/v1", "my_api_key", "my_api_secret",
                                            "Tue, 14 Nov 2023 22:13:20 GMT");
  EXPECT_EQ(s.signature, "qZmFMF8R9ANm1ofk88qiB6CeXkOz/cgrJo7/hnK/k6M=");
  EXPECT_EQ(s.url,
            "ws://iat.cn-huabei-1.xf-yun.com/v1?authorization="
            "YXBpX2tleT0ibXlfYXBpX2tleSIsIGFsZ29yaXRobT0iaG1hYy1zaGEyNTYiLCBoZWFkZXJzPSJob3N0IGRhdGUgcmVxdWVzdC1saW5lIiwg"
            "c2lnbmF0dXJlPSJxWm1GTUY4UjlBTm0xb2ZrODhxaUI2Q2VYa096L2NnckpvNy9obksvazZNPSI%3D&date=Tue%2C+14+Nov+2023+22%3A13%"
            "3A20+GMT&host=iat.cn-huabei-1.xf-yun.com");
}

TEST(XunfeiIatWire, ReadsTheSpecsWorkedExample) {
  auto f = iat::parse_server_frame(
      R"({"header":{"code":0,"message":"success","sid":"ase0001","status":1},"payload":{"result":{"seq":1,"status":1,"text":"eyJzbiI6MSwibHMiOmZhbHNlLCJ3cyI6W3siYmciOjAsImN3IjpbeyJ3Ijoi5L2gIn1dfV19"}}})");
  EXPECT_EQ(f.code, 0);
  EXPECT_EQ(f.sid, "ase0001");
  EXPECT_EQ(f.text, "你");
  EXPECT_FALSE(f.last);
  f = iat::parse_server_frame(
      R"({"header":{"code":0,"message":"success","sid":"ase0001","status":2},"payload":{"result":{"seq":2,"status":2,"text":"eyJzbiI6MiwibHMiOnRydWUsIndzIjpbeyJiZyI6MCwiY3ciOlt7InciOiLlpb0ifV19XX0="}}})");
  EXPECT_EQ(f.text, "好");
  EXPECT_TRUE(f.last);
  f = iat::parse_server_frame(R"({"header":{"code":10114,"message":"session timeout","sid":"x","status":2}})");
  EXPECT_EQ(f.code, 10114);
  EXPECT_EQ(f.message, "session timeout");
}

TEST(XunfeiIatWire, ClientFramesHaveTheReferenceShape) {
  iat::Params p;
  p.app_id = "APP";
  const std::string pcm(1920, '\x05');
  const std::string text = iat::client_frame(0, pcm, p);
  const auto j = xz::protocol::parse_json_text(text);
  EXPECT_EQ(j["header"], (nlohmann::json{{"status", 0}, {"app_id", "APP"}}));
  EXPECT_EQ(j["parameter"]["iat"]["domain"], "slm");
  EXPECT_EQ(j["parameter"]["iat"]["result"]["format"], "plain");
  EXPECT_EQ(j["payload"]["audio"]["sample_rate"], 16000);
  EXPECT_FALSE(j["parameter"]["iat"].contains("eos"));
  auto back = iat::parse_client_frame(text);
  EXPECT_EQ(back.audio, pcm);
  EXPECT_EQ(back.status, 0);
  EXPECT_EQ(iat::parse_client_frame(iat::client_frame(2, "", p)).audio, "");
  p.eos_ms = 60000;
  EXPECT_EQ(xz::protocol::parse_json_text(iat::client_frame(1, "", p))["parameter"]["iat"]["eos"], 60000);
}

TEST(XunfeiIatWire, ServerFramesRoundTripAndBrokenOnesAreRefused) {
  auto f = iat::parse_server_frame(iat::server_frame(0, "success", "s", 2, 3, "世界", true));
  EXPECT_EQ(f.text, "世界");
  EXPECT_TRUE(f.last);
  EXPECT_THROW(iat::parse_server_frame("{\"header\": 42"), iat::WireError);
  EXPECT_THROW(iat::parse_server_frame("[]"), iat::WireError);
  EXPECT_THROW(iat::parse_server_frame(R"({"header":{"code":0},"payload":{"result":{"text":"%%%"}}})"), iat::WireError);
  EXPECT_THROW(iat::parse_server_frame(R"({"header":{"code":0},"payload":{"result":{"text":"WzFd"}}})"),
               iat::WireError);  // base64 of [1]
  EXPECT_THROW(iat::parse_client_frame(R"({"header":{"status":1}})"), iat::WireError);
}
