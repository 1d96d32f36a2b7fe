#include "providers/asr/openai_asr.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/runtime.h"
#include "support/fake_openai.h"
#include "support/speech.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using nlohmann::json;
using xz::core::Runtime;
using xz::core::Task;
using xz::providers::AsrResult;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::OpenAiAsr;
using xz::providers::ProviderContext;
using xz::test::FakeOpenAi;

namespace {

class OpenAiAsrTest : public ::testing::Test {
 protected:
  void SetUp() override { rt.start(); }

  EngineConfig config() const {
    return {{"type", "openai"},
            {"base_url", fake.url() + "/audio/transcriptions"},
            {"api_key", "sk-asr"},
            {"model_name", "gpt-4o-mini-transcribe"}};
  }

  // Pushes the audio in 60 ms frames, as the listen stage does, then finishes.
  AsrResult transcribe(OpenAiAsr& asr, const std::vector<std::int16_t>& pcm) {
    return asio::co_spawn(rt.loop(0), [&]() -> Task<AsrResult> {
      auto stream = co_await asr.open();
      for (std::size_t at = 0; at < pcm.size(); at += 960) {
        std::size_t n = std::min<std::size_t>(960, pcm.size() - at);
        co_await stream->push(std::vector<std::int16_t>(pcm.begin() + at, pcm.begin() + at + n));
      }
      co_return co_await stream->finish();
    }(), asio::use_future).get();
  }

  Runtime rt{1, 1};
  ProviderContext ctx{rt.pool()};
  FakeOpenAi fake;
};

}  // namespace

TEST_F(OpenAiAsrTest, UploadsA16kMonoWavAndReturnsTheText) {
  fake.set_transcript("turn on the kitchen light");
  auto cfg = config();
  cfg["language"] = "en";
  OpenAiAsr asr(cfg, ctx);
  auto speech = xz::test::flite_speech("turn on the kitchen light");
  auto result = transcribe(asr, speech);
  EXPECT_EQ(result.text, "turn on the kitchen light");
  EXPECT_EQ(result.language, "en");

  auto seen = fake.last_request();
  EXPECT_EQ(seen.path, "/v1/audio/transcriptions");
  EXPECT_EQ(seen.headers["authorization"], "Bearer sk-asr");
  EXPECT_EQ(seen.headers["content-type"].rfind("multipart/form-data; boundary=", 0), 0u);
  EXPECT_EQ(seen.form["model"], "gpt-4o-mini-transcribe");
  EXPECT_EQ(seen.form["language"], "en");
  EXPECT_EQ(seen.file_name, "audio.wav");
  EXPECT_EQ(seen.file_type, "audio/wav");
  auto wav = xz::test::parse_wav(seen.file);
  EXPECT_EQ(wav.sample_rate, 16000);
  EXPECT_EQ(wav.channels, 1);
  EXPECT_EQ(wav.bits, 16);
  EXPECT_EQ(seen.file.size(), 44 + speech.size() * 2);
  EXPECT_EQ(wav.samples, speech) << "the uploaded audio differs from what was pushed";
}

TEST_F(OpenAiAsrTest, AutoLanguageIsLeftToTheApi) {
  auto cfg = config();
  cfg["language"] = "auto";
  OpenAiAsr asr(cfg, ctx);
  transcribe(asr, xz::test::tone(0.3, 440));
  EXPECT_FALSE(fake.last_request().form.contains("language"));
}

TEST_F(OpenAiAsrTest, EmptyUtteranceSendsNothing) {
  OpenAiAsr asr(config(), ctx);
  EXPECT_EQ(transcribe(asr, {}).text, "");
  EXPECT_EQ(fake.request_count(), 0u);
}

TEST_F(OpenAiAsrTest, AudioBeyondTheLimitIsNotSent) {
  auto cfg = config();
  cfg["max_seconds"] = 0.5;
  OpenAiAsr asr(cfg, ctx);
  transcribe(asr, xz::test::tone(2.0, 300));
  EXPECT_EQ(xz::test::parse_wav(fake.last_request().file).samples.size(), 8000u);
}

TEST_F(OpenAiAsrTest, ApiErrorsAreReadable) {
  fake.fail_next(401, R"({"error":{"message":"Invalid API key"}})");
  OpenAiAsr asr(config(), ctx);
  try {
    transcribe(asr, xz::test::tone(0.2, 440));
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 401"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Invalid API key"), std::string::npos) << e.what();
  }
}

TEST_F(OpenAiAsrTest, ConfigIsValidated) {
  auto missing = config();
  missing.erase("base_url");
  EXPECT_THROW(
      {
        try {
          OpenAiAsr asr(missing, ctx);
        } catch (const EngineConfigError& e) {
          EXPECT_EQ(std::string(e.what()).rfind("base_url: missing", 0), 0u) << e.what();
          throw;
        }
      },
      EngineConfigError);
  auto no_model = config();
  no_model.erase("model_name");
  EXPECT_THROW((OpenAiAsr{no_model, ctx}), EngineConfigError);
  auto bad_timeout = config();
  bad_timeout["timeout"] = "soon";
  EXPECT_THROW((OpenAiAsr{bad_timeout, ctx}), EngineConfigError);
}
