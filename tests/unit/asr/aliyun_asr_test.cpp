#include "providers/asr/aliyun_asr.h"

#include <gtest/gtest.h>

#include "core/runtime.h"
#include "support/asr_harness.h"
#include "support/fake_asr_vendors.h"
#include "support/speech.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::providers::AliyunAsr;
using xz::providers::EngineConfigError;
using xz::providers::ProviderContext;
using xz::test::FakeAsrFault;
using xz::test::FakeAsrKeys;
using xz::test::FakeAsrVendors;

namespace {

class AliyunAsrTest : public xz::test::CloudAsrTest {
 protected:
  // The reference's entry with only the endpoints and the keys changed (its token
  // placeholder stays: the key pair wins).
  json config() const {
    json cfg = xz::test::reference_asr_entry("AliyunASR");
    cfg["endpoint"] = fake.url("aliyun");
    cfg["token_url"] = fake.url("aliyun_token");
    cfg["appkey"] = FakeAsrKeys::aliyun_appkey;
    cfg["access_key_id"] = FakeAsrKeys::aliyun_key_id;
    cfg["access_key_secret"] = FakeAsrKeys::aliyun_key_secret;
    return cfg;
  }
};

}  // namespace

TEST_F(AliyunAsrTest, TranscribesFromTheReferencesEntryWithOneSignedCreateToken) {
  fake.set_transcript("北京的天气。");
  AliyunAsr asr(config(), ctx);
  const auto speech = xz::test::flite_speech("the weather in beijing");
  EXPECT_EQ(xz::test::transcribe(rt, asr, speech).text, "北京的天气。");
  EXPECT_EQ(xz::test::transcribe(rt, asr, speech).text, "北京的天气。");

  auto tokens = fake.calls("aliyun_token");
  ASSERT_EQ(tokens.size(), 1u) << "the token is kept until it expires";
  EXPECT_TRUE(tokens[0].auth_ok) << "the fake recomputes the POP signature";
  EXPECT_EQ(tokens[0].query["Action"], "CreateToken");
  auto call = fake.last_call("aliyun");
  EXPECT_TRUE(call.auth_ok);
  EXPECT_EQ(call.headers["x-nls-token"], "nls-token-1");
  EXPECT_EQ(call.query["appkey"], FakeAsrKeys::aliyun_appkey);
  EXPECT_EQ(call.query["enable_punctuation_prediction"], "true");
  EXPECT_EQ(call.query["enable_inverse_text_normalization"], "true");
  EXPECT_EQ(call.query["enable_voice_detection"], "false");
  EXPECT_EQ(call.pcm, speech) << "the audio the vendor got differs from what was pushed";
}

TEST_F(AliyunAsrTest, AStaticTokenIsUsedAsItIs) {
  auto cfg = config();
  cfg.erase("access_key_id");
  cfg.erase("access_key_secret");
  cfg["token"] = "static-nls-token";
  AliyunAsr asr(cfg, ctx);
  EXPECT_EQ(xz::test::transcribe(rt, asr, xz::test::flite_speech("hello")).text, "今天天气怎么样");
  EXPECT_TRUE(fake.calls("aliyun_token").empty());
  EXPECT_EQ(fake.last_call("aliyun").headers["x-nls-token"], "static-nls-token");
}

TEST_F(AliyunAsrTest, AnExpiringTokenIsRenewedAndARefusedOneReplaced) {
  fake.set_token_lifetime(30);  // within the minute of margin: stale at once
  AliyunAsr asr(config(), ctx);
  const auto speech = xz::test::flite_speech("hello");
  xz::test::transcribe(rt, asr, speech);
  xz::test::transcribe(rt, asr, speech);
  EXPECT_EQ(fake.calls("aliyun_token").size(), 2u);

  fake.set_token_lifetime(24 * 3600);
  xz::test::transcribe(rt, asr, speech);
  fake.revoke_tokens();
  const std::string e = error_of(asr);
  EXPECT_EQ(e.rfind("aliyun: HTTP 403: 40000001: Gateway:ACCESS_DENIED:The token", 0), 0u) << e;
  EXPECT_EQ(xz::test::transcribe(rt, asr, speech).text, "今天天气怎么样");
  EXPECT_EQ(fake.calls("aliyun_token").size(), 4u);
}

TEST_F(AliyunAsrTest, AWrongSecretIsCreateTokensError) {
  auto cfg = config();
  cfg["access_key_secret"] = "wrong";
  AliyunAsr asr(cfg, ctx);
  const std::string e = error_of(asr);
  EXPECT_EQ(e.rfind("aliyun: CreateToken HTTP 400: ", 0), 0u) << e;
  EXPECT_TRUE(fake.calls("aliyun").empty());
}

TEST_F(AliyunAsrTest, VendorErrorsServerErrorsAndStallsNameTheEngine) {
  auto cfg = config();
  cfg["timeout"] = 0.5;
  AliyunAsr asr(cfg, ctx);
  xz::test::transcribe(rt, asr, xz::test::flite_speech("hello"));  // the token is cached now
  fake.fail_next(FakeAsrFault::vendor_error);
  EXPECT_EQ(error_of(asr), "aliyun: HTTP 400: 40000004: Gateway:IDLE_TIMEOUT:Websocket session is idle for too long time");
  fake.fail_next(FakeAsrFault::http_500);
  EXPECT_EQ(error_of(asr), "aliyun: HTTP 500: upstream exploded");
  fake.fail_next(FakeAsrFault::stall, 5s);
  const auto start = std::chrono::steady_clock::now();
  const std::string e = error_of(asr);
  EXPECT_EQ(e.rfind("aliyun: ", 0), 0u) << e;
  EXPECT_NE(e.find("timed out"), std::string::npos) << e;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(AliyunAsrTest, ConfigErrorsNameTheKey) {
  auto cfg = config();
  cfg.erase("appkey");
  try {
    AliyunAsr asr(cfg, ctx);
    FAIL() << "accepted an entry without appkey";
  } catch (const EngineConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "appkey: missing");
  }
  cfg = config();
  cfg.erase("access_key_id");
  cfg.erase("access_key_secret");
  cfg.erase("token");
  try {
    AliyunAsr asr(cfg, ctx);
    FAIL() << "accepted an entry without a token";
  } catch (const EngineConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "token: missing (or access_key_id and access_key_secret)");
  }
}
