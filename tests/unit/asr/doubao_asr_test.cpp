#include "providers/asr/doubao_asr.h"

#include <gtest/gtest.h>

#include "core/runtime.h"
#include "providers/asr/doubao_v2_wire.h"
#include "support/asr_harness.h"
#include "support/fake_asr_vendors.h"
#include "support/speech.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::providers::DoubaoAsr;
using xz::providers::EngineConfigError;
using xz::providers::ProviderContext;
using xz::test::FakeAsrFault;
using xz::test::FakeAsrKeys;
using xz::test::FakeAsrVendors;
namespace v2 = xz::providers::doubao_v2;

namespace {

class DoubaoAsrTest : public xz::test::CloudAsrTest {
 protected:
  // The reference's entry with only the endpoint and the keys changed (its hot-word table
  // placeholders stay).
  json config() const {
    json cfg = xz::test::reference_asr_entry("DoubaoASR");
    cfg["endpoint"] = fake.url("doubao");
    cfg["appid"] = FakeAsrKeys::doubao_appid;
    cfg["access_token"] = FakeAsrKeys::doubao_token;
    return cfg;
  }
};

}  // namespace

// The frames of the spec's worked example (§2B): the header bytes the reference writes.
TEST(DoubaoV2Wire, ClientFramesHaveTheReferencesHeadersAndRoundTrip) {
  const std::string req = v2::encode_full_request(R"({"app":{}})");
  EXPECT_EQ(req.substr(0, 4), std::string("\x11\x10\x11\x00", 4));
  auto f = v2::parse_frame(req);
  EXPECT_EQ(f.type, v2::kFullRequest);
  EXPECT_EQ(f.payload, R"({"app":{}})");
  EXPECT_EQ(v2::encode_audio("abcd", false).substr(0, 4), std::string("\x11\x20\x11\x00", 4));
  const std::string last = v2::encode_audio("abcd", true);
  EXPECT_EQ(last.substr(0, 4), std::string("\x11\x22\x11\x00", 4));
  f = v2::parse_frame(last);
  EXPECT_EQ(f.flags, 0x2);
  EXPECT_EQ(f.payload, "abcd");
  f = v2::parse_frame(v2::encode_error(1001, R"({"code":1001})"));
  EXPECT_EQ(f.type, v2::kError);
  EXPECT_EQ(f.error_code, 1001u);
  EXPECT_THROW(v2::parse_frame(std::string("\x11\x90\x11\x00\x00\x00\x00\x09", 8)), v2::WireError);
  const std::string bomb = v2::gzip(std::string(1 << 20, '\0'));
  EXPECT_THROW(v2::gunzip(bomb, 1000), v2::WireError) << "inflating is bounded";
}

TEST_F(DoubaoAsrTest, TranscribesFromTheReferencesEntry) {
  fake.set_transcript("你好");
  DoubaoAsr asr(config(), ctx);
  const auto speech = xz::test::flite_speech("hello there");
  EXPECT_EQ(xz::test::transcribe(rt, asr, speech).text, "你好");

  auto call = fake.last_call("doubao");
  EXPECT_EQ(call.headers["authorization"], std::string("Bearer; ") + FakeAsrKeys::doubao_token);
  ASSERT_EQ(call.messages.size(), 2u) << "one request, one (last) audio frame under 15 s";
  const json& req = call.messages[0];
  EXPECT_EQ(req["app"]["cluster"], "volcengine_input_common");
  EXPECT_EQ(req["request"]["sequence"], 1);
  EXPECT_EQ(req["request"]["show_utterances"], false);
  EXPECT_EQ(req["audio"], json({{"format", "raw"}, {"rate", 16000}, {"language", "zh-CN"}, {"bits", 16},
                                {"channel", 1}, {"codec", "raw"}}));
  EXPECT_EQ(req["request"]["reqid"].get<std::string>().size(), 36u);
  EXPECT_EQ(req["request"]["boosting_table_name"], "") << "the reference's placeholder is not a table name";
  EXPECT_EQ(req["request"]["correct_table_name"], "");
  EXPECT_EQ(call.messages[1]["last"], true);
  EXPECT_EQ(call.pcm, speech) << "the audio the vendor got differs from what was pushed";
}

TEST_F(DoubaoAsrTest, LongUtterancesGoIn15SecondSegments) {
  DoubaoAsr asr(config(), ctx);
  std::vector<std::int16_t> pcm(32 * 16000);  // 32 s: 15 + 15 + 2
  for (std::size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<std::int16_t>((i * 37) % 2000 - 1000);
  xz::test::transcribe(rt, asr, pcm);
  auto call = fake.last_call("doubao");
  ASSERT_EQ(call.messages.size(), 4u);
  EXPECT_EQ(call.messages[1], json({{"bytes", 480000}, {"last", false}}));
  EXPECT_EQ(call.messages[2], json({{"bytes", 480000}, {"last", false}}));
  EXPECT_EQ(call.messages[3], json({{"bytes", 64000}, {"last", true}}));
  EXPECT_EQ(call.pcm, pcm);
}

TEST_F(DoubaoAsrTest, NoSpeechIsAnEmptyResult) {
  fake.set_transcript("");
  DoubaoAsr asr(config(), ctx);
  EXPECT_EQ(xz::test::transcribe(rt, asr, xz::test::flite_speech("hello")).text, "");
}

TEST_F(DoubaoAsrTest, AWrongTokenIsRefusedAtTheHandshake) {
  auto cfg = config();
  cfg["access_token"] = "wrong";
  DoubaoAsr asr(cfg, ctx);
  const std::string e = error_of(asr);
  EXPECT_EQ(e.rfind("doubao: ", 0), 0u) << e;
  EXPECT_NE(e.find("401"), std::string::npos) << e;
}

TEST_F(DoubaoAsrTest, VendorErrorsDropsAndStallsNameTheEngine) {
  auto cfg = config();
  cfg["timeout"] = 0.3;
  DoubaoAsr asr(cfg, ctx);
  fake.fail_next(FakeAsrFault::vendor_error);
  EXPECT_EQ(error_of(asr), "doubao: 1022: recognition error");
  fake.fail_next(FakeAsrFault::http_500);  // the service's error frame
  EXPECT_EQ(error_of(asr), "doubao: error 1099: internal error");
  fake.fail_next(FakeAsrFault::drop);
  std::string e = error_of(asr);
  EXPECT_EQ(e.rfind("doubao: ", 0), 0u) << e;
  EXPECT_NE(e.find("closed"), std::string::npos) << e;
  fake.fail_next(FakeAsrFault::stall, 5s);
  const auto start = std::chrono::steady_clock::now();
  e = error_of(asr);
  EXPECT_EQ(e, "doubao: no answer for 300 ms");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(xz::test::transcribe(rt, asr, xz::test::flite_speech("hello")).text, "今天天气怎么样");
}

TEST_F(DoubaoAsrTest, ConfigErrorsNameTheKey) {
  auto cfg = config();
  cfg.erase("access_token");
  try {
    DoubaoAsr asr(cfg, ctx);
    FAIL() << "accepted an entry without access_token";
  } catch (const EngineConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "access_token: missing");
  }
  cfg = config();
  cfg["endpoint"] = "https://openspeech.bytedance.com/api/v2/asr";
  EXPECT_THROW(DoubaoAsr(cfg, ctx), EngineConfigError);
}
