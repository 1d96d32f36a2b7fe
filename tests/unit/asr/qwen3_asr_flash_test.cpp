#include "providers/asr/qwen3_asr_flash.h"

#include <gtest/gtest.h>

#include "core/runtime.h"
#include "support/asr_harness.h"
#include "support/fake_asr_vendors.h"
#include "support/speech.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::providers::EngineConfigError;
using xz::providers::ProviderContext;
using xz::providers::Qwen3AsrFlash;
using xz::test::FakeAsrFault;
using xz::test::FakeAsrKeys;
using xz::test::FakeAsrVendors;

namespace {

class Qwen3AsrFlashTest : public ::testing::Test {
 protected:
  void SetUp() override { rt.start(); }

  // The reference's entry with only the endpoint and the key changed.
  json config() const {
    json cfg = xz::test::reference_asr_entry("Qwen3ASRFlash");
    cfg["base_url"] = fake.url("qwen3");
    cfg["api_key"] = FakeAsrKeys::qwen3;
    return cfg;
  }

  xz::core::Runtime rt{1, 1};
  ProviderContext ctx{rt.pool()};
  FakeAsrVendors fake;
};

}  // namespace

TEST_F(Qwen3AsrFlashTest, TranscribesFromTheReferencesEntry) {
  fake.set_transcript("  打开客厅的灯  ");
  Qwen3AsrFlash asr(config(), ctx);
  const auto speech = xz::test::flite_speech("turn on the light in the living room");
  auto r = xz::test::transcribe(rt, asr, speech);
  EXPECT_EQ(r.text, "打开客厅的灯");
  EXPECT_EQ(r.language, "zh");
  EXPECT_EQ(r.emotion, "NEUTRAL");

  auto call = fake.last_call("qwen3");
  EXPECT_TRUE(call.auth_ok);
  EXPECT_EQ(call.path, "/compatible-mode/v1/chat/completions");
  EXPECT_EQ(call.json["model"], "qwen3-asr-flash");
  EXPECT_EQ(call.json["stream"], false);
  EXPECT_EQ(call.json["asr_options"], json({{"enable_lid", true}, {"enable_itn", true}}));
  ASSERT_EQ(call.json["messages"].size(), 1u) << "context is empty in the reference's entry: no system message";
  EXPECT_EQ(call.sample_rate, 16000);
  EXPECT_EQ(call.pcm, speech) << "the audio the vendor got differs from what was pushed";
}

TEST_F(Qwen3AsrFlashTest, ContextAndLanguageReachTheVendor) {
  auto cfg = config();
  cfg["context"] = "小智, 乐鑫";
  cfg["language"] = "zh";
  cfg["enable_itn"] = false;
  Qwen3AsrFlash asr(cfg, ctx);
  xz::test::transcribe(rt, asr, xz::test::flite_speech("hello"));
  auto call = fake.last_call("qwen3");
  EXPECT_EQ(call.json["asr_options"], json({{"enable_lid", true}, {"enable_itn", false}, {"language", "zh"}}));
  ASSERT_EQ(call.json["messages"].size(), 2u);
  EXPECT_EQ(call.json["messages"][0]["role"], "system");
  EXPECT_EQ(call.json["messages"][0]["content"][0]["text"], "小智, 乐鑫");
}

TEST_F(Qwen3AsrFlashTest, AnEmptyUtteranceIsNotSent) {
  Qwen3AsrFlash asr(config(), ctx);
  auto r = xz::test::transcribe(rt, asr, {});
  EXPECT_EQ(r.text, "");
  EXPECT_TRUE(fake.calls().empty());
}

TEST_F(Qwen3AsrFlashTest, KeepsAtMostMaxSecondsOfAnUtterance) {
  auto cfg = config();
  cfg["max_seconds"] = 1;
  Qwen3AsrFlash asr(cfg, ctx);
  std::vector<std::int16_t> two_seconds(32000, 100);
  xz::test::transcribe(rt, asr, two_seconds);
  EXPECT_EQ(fake.last_call("qwen3").pcm.size(), 16000u);
}

TEST_F(Qwen3AsrFlashTest, AWrongKeyFailsWithTheVendorsMessage) {
  auto cfg = config();
  cfg["api_key"] = "sk-wrong";
  Qwen3AsrFlash asr(cfg, ctx);
  try {
    xz::test::transcribe(rt, asr, xz::test::flite_speech("hello"));
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("qwen3_asr_flash: HTTP 401"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Incorrect API key provided"), std::string::npos) << e.what();
  }
}

TEST_F(Qwen3AsrFlashTest, VendorErrorsAndServerErrorsNameTheEngine) {
  Qwen3AsrFlash asr(config(), ctx);
  const auto speech = xz::test::flite_speech("hello");
  fake.fail_next(FakeAsrFault::vendor_error);
  try {
    xz::test::transcribe(rt, asr, speech);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("qwen3_asr_flash: HTTP 400: InvalidParameter: Audio is too short"),
              std::string::npos)
        << e.what();
  }
  fake.fail_next(FakeAsrFault::http_500);
  EXPECT_THROW(xz::test::transcribe(rt, asr, speech), std::runtime_error);
  // The engine is still usable afterwards.
  EXPECT_EQ(xz::test::transcribe(rt, asr, speech).text, "今天天气怎么样");
}

TEST_F(Qwen3AsrFlashTest, AStallEndsAtTheTimeout) {
  auto cfg = config();
  cfg["timeout"] = 0.5;
  Qwen3AsrFlash asr(cfg, ctx);
  fake.fail_next(FakeAsrFault::stall, 5s);
  const auto start = std::chrono::steady_clock::now();
  try {
    xz::test::transcribe(rt, asr, xz::test::flite_speech("hello"));
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("qwen3_asr_flash"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(Qwen3AsrFlashTest, ARefusedConnectionNamesTheEngine) {
  auto cfg = config();
  cfg["base_url"] = "http://127.0.0.1:1/compatible-mode/v1";
  Qwen3AsrFlash asr(cfg, ctx);
  try {
    xz::test::transcribe(rt, asr, xz::test::flite_speech("hello"));
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("qwen3_asr_flash: ", 0), 0u) << e.what();
  }
}

TEST_F(Qwen3AsrFlashTest, ConfigErrorsNameTheKey) {
  auto cfg = config();
  cfg.erase("api_key");
  EXPECT_THROW(
      {
        try {
          Qwen3AsrFlash asr(cfg, ctx);
        } catch (const EngineConfigError& e) {
          EXPECT_EQ(std::string(e.what()), "api_key: missing");
          throw;
        }
      },
      EngineConfigError);
  cfg = config();
  cfg["base_url"] = "ftp://example.com";
  EXPECT_THROW(Qwen3AsrFlash(cfg, ctx), EngineConfigError);
}
