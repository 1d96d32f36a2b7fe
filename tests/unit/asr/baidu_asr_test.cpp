#include "providers/asr/baidu_asr.h"

#include <gtest/gtest.h>

#include "core/runtime.h"
#include "support/asr_harness.h"
#include "support/fake_asr_vendors.h"
#include "support/speech.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::providers::BaiduAsr;
using xz::providers::EngineConfigError;
using xz::providers::ProviderContext;
using xz::test::FakeAsrFault;
using xz::test::FakeAsrKeys;
using xz::test::FakeAsrVendors;

namespace {

class BaiduAsrTest : public xz::test::CloudAsrTest {
 protected:
  // The reference's entry with only the endpoints and the keys changed.
  json config() const {
    json cfg = xz::test::reference_asr_entry("BaiduASR");
    cfg["endpoint"] = fake.url("baidu");
    cfg["token_url"] = fake.url("baidu_token");
    cfg["app_id"] = "118805";
    cfg["api_key"] = FakeAsrKeys::baidu_api_key;
    cfg["secret_key"] = FakeAsrKeys::baidu_secret;
    return cfg;
  }
};

}  // namespace

TEST_F(BaiduAsrTest, TranscribesFromTheReferencesEntryWithATokenFetchedOnce) {
  fake.set_transcript("北京科技馆。");
  BaiduAsr asr(config(), ctx);
  const auto speech = xz::test::flite_speech("the science museum in beijing");
  EXPECT_EQ(xz::test::transcribe(rt, asr, speech).text, "北京科技馆。");
  EXPECT_EQ(xz::test::transcribe(rt, asr, speech).text, "北京科技馆。");

  auto tokens = fake.calls("baidu_token");
  ASSERT_EQ(tokens.size(), 1u) << "a 30-day token is fetched once and kept";
  EXPECT_EQ(tokens[0].query["grant_type"], "client_credentials");
  auto call = fake.last_call("baidu");
  EXPECT_TRUE(call.auth_ok);
  EXPECT_EQ(call.json["dev_pid"], 1537);
  EXPECT_EQ(call.json["format"], "pcm");
  EXPECT_EQ(call.json["len"], speech.size() * 2);
  EXPECT_EQ(call.sample_rate, 16000);
  EXPECT_EQ(call.pcm, speech) << "the audio the vendor got differs from what was pushed";
}

TEST_F(BaiduAsrTest, AnExpiringTokenIsFetchedAgain) {
  fake.set_token_lifetime(30);  // within the minute of margin: stale at once
  BaiduAsr asr(config(), ctx);
  const auto speech = xz::test::flite_speech("hello");
  xz::test::transcribe(rt, asr, speech);
  xz::test::transcribe(rt, asr, speech);
  EXPECT_EQ(fake.calls("baidu_token").size(), 2u);
}

TEST_F(BaiduAsrTest, ARevokedTokenFailsOnceThenIsReplaced) {
  BaiduAsr asr(config(), ctx);
  const auto speech = xz::test::flite_speech("hello");
  xz::test::transcribe(rt, asr, speech);
  fake.revoke_tokens();
  EXPECT_EQ(error_of(asr), "baidu: 3302: authentication failed.");
  EXPECT_EQ(xz::test::transcribe(rt, asr, speech).text, "今天天气怎么样");
  EXPECT_EQ(fake.calls("baidu_token").size(), 2u);
}

TEST_F(BaiduAsrTest, WrongKeysAreTheTokenServersError) {
  auto cfg = config();
  cfg["secret_key"] = "wrong";
  BaiduAsr asr(cfg, ctx);
  EXPECT_EQ(error_of(asr), "baidu: HTTP 401: token: invalid_client: Client authentication failed");
  EXPECT_TRUE(fake.calls("baidu").empty());
}

TEST_F(BaiduAsrTest, VendorErrorsServerErrorsAndStallsNameTheEngine) {
  auto cfg = config();
  cfg["timeout"] = 0.5;
  BaiduAsr asr(cfg, ctx);
  xz::test::transcribe(rt, asr, xz::test::flite_speech("hello"));  // the token is cached now
  fake.fail_next(FakeAsrFault::vendor_error);
  EXPECT_EQ(error_of(asr), "baidu: 3301: speech quality error.");
  fake.fail_next(FakeAsrFault::http_500);
  EXPECT_EQ(error_of(asr), "baidu: HTTP 500: upstream exploded");
  fake.fail_next(FakeAsrFault::stall, 5s);
  const auto start = std::chrono::steady_clock::now();
  const std::string e = error_of(asr);
  EXPECT_EQ(e.rfind("baidu: ", 0), 0u) << e;
  EXPECT_NE(e.find("timed out"), std::string::npos) << e;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(BaiduAsrTest, ConfigErrorsNameTheKey) {
  auto cfg = config();
  cfg.erase("secret_key");
  try {
    BaiduAsr asr(cfg, ctx);
    FAIL() << "accepted an entry without secret_key";
  } catch (const EngineConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "secret_key: missing");
  }
  cfg = config();
  cfg["dev_pid"] = "not a number";
  EXPECT_THROW(BaiduAsr(cfg, ctx), EngineConfigError);
}
