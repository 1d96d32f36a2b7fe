#include "providers/asr/fun_server_asr.h"

#include <gtest/gtest.h>

#include "core/runtime.h"
#include "support/asr_harness.h"
#include "support/fake_asr_vendors.h"
#include "support/speech.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::providers::EngineConfigError;
using xz::providers::FunServerAsr;
using xz::providers::ProviderContext;
using xz::test::FakeAsrFault;
using xz::test::FakeAsrVendors;
using xz::test::FakeFunAsrProfile;

namespace {

class FunServerAsrTest : public xz::test::CloudAsrTest {
 protected:
  // The reference's entry with only the address changed (the fake speaks ws://).
  json config() const {
    json cfg = xz::test::reference_asr_entry("FunASRServer");
    cfg["host"] = "127.0.0.1";
    cfg["port"] = fake.port();
    cfg["is_ssl"] = false;
    return cfg;
  }
};

}  // namespace

TEST_F(FunServerAsrTest, TranscribesFromTheReferencesEntryJoiningTheAnswers) {
  fake.set_funasr_pieces({"<|zh|><|NEUTRAL|><|Speech|><|woitn|>今天天气", "怎么样"});
  FunServerAsr asr(config(), ctx);
  const auto speech = xz::test::flite_speech("what is the weather like today");
  auto r = xz::test::transcribe(rt, asr, speech);
  EXPECT_EQ(r.text, "今天天气怎么样");
  EXPECT_EQ(r.language, "zh");
  EXPECT_EQ(r.emotion, "NEUTRAL");
  EXPECT_EQ(r.event, "Speech");

  auto call = fake.last_call("fun_server");
  EXPECT_EQ(call.headers["authorization"], "Bearer; none");
  EXPECT_EQ(call.headers["sec-websocket-protocol"], "binary");
  ASSERT_EQ(call.messages.size(), 2u);
  const json& start = call.messages[0];
  EXPECT_EQ(start["mode"], "offline");
  EXPECT_EQ(start["chunk_size"], json({5, 10, 5}));
  EXPECT_EQ(start["chunk_interval"], 10);
  EXPECT_EQ(start["is_speaking"], true);
  EXPECT_EQ(start["itn"], false);
  EXPECT_EQ(start["wav_name"].get<std::string>().size(), 32u);
  EXPECT_EQ(call.messages[1], json({{"is_speaking", false}}));
  EXPECT_EQ(call.pcm, speech) << "the audio the server got differs from what was pushed";
}

TEST_F(FunServerAsrTest, PlainTextWithoutTagsAndAnEndpointUrl) {
  fake.set_transcript("打开空调");
  auto cfg = config();
  cfg["host"] = "nowhere.invalid";
  cfg["endpoint"] = fake.url("fun_server");
  FunServerAsr asr(cfg, ctx);
  auto r = xz::test::transcribe(rt, asr, xz::test::flite_speech("turn on the air conditioner"));
  EXPECT_EQ(r.text, "打开空调");
  EXPECT_EQ(r.language, "");
}

TEST_F(FunServerAsrTest, AServerThatNeverSaysFinalAnswersAfterTheQuietTimeout) {
  fake.set_funasr_profile(FakeFunAsrProfile::offline_cpp);
  fake.set_transcript("你好");
  auto cfg = config();
  cfg["timeout"] = 0.3;
  FunServerAsr asr(cfg, ctx);
  const auto start = std::chrono::steady_clock::now();
  auto r = xz::test::transcribe(rt, asr, xz::test::flite_speech("hello"));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.text, "你好");
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 3s);
}

TEST_F(FunServerAsrTest, NoAnswerInTimeIsAnError) {
  auto cfg = config();
  cfg["timeout"] = 0.3;
  FunServerAsr asr(cfg, ctx);
  fake.fail_next(FakeAsrFault::stall, 5s);
  const auto start = std::chrono::steady_clock::now();
  const std::string e = error_of(asr);
  EXPECT_EQ(e.rfind("fun_server: no answer for 300 ms", 0), 0u) << e;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(FunServerAsrTest, ADroppedConnectionAndTheServersErrorAnswerAreErrors) {
  FunServerAsr asr(config(), ctx);
  fake.fail_next(FakeAsrFault::drop);
  std::string e = error_of(asr);
  EXPECT_EQ(e.rfind("fun_server: ", 0), 0u) << e;
  EXPECT_NE(e.find("closed"), std::string::npos) << e;
  fake.fail_next(FakeAsrFault::vendor_error);
  e = error_of(asr);
  EXPECT_EQ(e, "fun_server: ERROR. Real-time transcription service ONLY SUPPORT PCM stream.");
  // The engine still works afterwards.
  EXPECT_EQ(xz::test::transcribe(rt, asr, xz::test::flite_speech("hello")).text, "今天天气怎么样");
}

TEST_F(FunServerAsrTest, ARefusedConnectionNamesTheEngine) {
  auto cfg = config();
  cfg["port"] = 1;
  FunServerAsr asr(cfg, ctx);
  const std::string e = error_of(asr);
  EXPECT_EQ(e.rfind("fun_server: ", 0), 0u) << e;
}

TEST_F(FunServerAsrTest, ConfigErrorsNameTheKey) {
  auto cfg = config();
  cfg["port"] = 70000;
  EXPECT_THROW(FunServerAsr(cfg, ctx), EngineConfigError);
  cfg = config();
  cfg["endpoint"] = "http://127.0.0.1:1/";
  try {
    FunServerAsr asr(cfg, ctx);
    FAIL() << "accepted an http:// endpoint";
  } catch (const EngineConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("endpoint: ", 0), 0u) << e.what();
  }
}
