// The manager-api's voice settings (ttsVolume, ttsRate, ttsPitch: percentages in an
// agent's TTS entry) mapped onto each engine's own keys as the reference maps them
// (convert_percentage_to_range over its TTS_PARAM_CONFIG), and reaching the vendor.
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>

#include "core/config.h"
#include "providers/registry.h"
#include "providers/tts/tts_config.h"
#include "support/fake_tts_vendors.h"
#include "tts_harness.h"

using nlohmann::json;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::tts_config::with_manager_voice_settings;
using xz::test::FakeTtsVendors;
using xz::test::FakeVendorKeys;

namespace {

struct MappingCase {
  const char* type;
  json manager;   // ttsVolume / ttsRate / ttsPitch as the manager sends them
  json expected;  // JSON pointer -> the engine's value
};

const std::vector<MappingCase>& cases() {
  static const std::vector<MappingCase> c = {
      // Edge: volume 0..100 around 50, rate and pitch -100..100 around 0, int().
      {"edge", {{"ttsVolume", 0}, {"ttsRate", 0}, {"ttsPitch", 0}}, {{"/volume", 50}, {"/rate", 0}, {"/pitch", 0}}},
      {"edge", {{"ttsVolume", 50}, {"ttsRate", -50}, {"ttsPitch", 100}}, {{"/volume", 75}, {"/rate", -50}, {"/pitch", 100}}},
      {"edge", {{"ttsVolume", -100}, {"ttsRate", 250}, {"ttsPitch", -33}}, {{"/volume", 0}, {"/rate", 100}, {"/pitch", -33}}},
      // Aliyun (both): volume 0..100 around 50, speech_rate and pitch_rate -500..500.
      {"aliyun", {{"ttsVolume", -50}, {"ttsRate", 10}, {"ttsPitch", -100}},
       {{"/volume", 25}, {"/speech_rate", 50}, {"/pitch_rate", -500}}},
      {"aliyun_stream", {{"ttsVolume", 100}, {"ttsRate", -1}, {"ttsPitch", 33}},
       {{"/volume", 100}, {"/speech_rate", -5}, {"/pitch_rate", 165}}},
      // Huoshan: loudness_rate and speech_rate -50..100, post_process.pitch -12..12, around 0.
      {"huoshan_double_stream", {{"ttsVolume", -50}, {"ttsRate", 50}, {"ttsPitch", -25}},
       {{"/audio_params/loudness_rate", -25}, {"/audio_params/speech_rate", 50}, {"/additions/post_process/pitch", -3}}},
      // AliBL: volume 0..100; rate and pitch 0.5..2.0 around 1.0, one decimal.
      {"alibl_stream", {{"ttsVolume", 20}, {"ttsRate", 33}, {"ttsPitch", -50}},
       {{"/volume", 60}, {"/rate", 1.3}, {"/pitch", 0.8}}},
      // Xunfei: speed, volume, pitch 0..100 around 50.
      {"xunfei_stream", {{"ttsVolume", -20}, {"ttsRate", 100}, {"ttsPitch", 10}},
       {{"/volume", 40}, {"/speed", 100}, {"/pitch", 55}}},
      // OpenAI: only the rate, speed 0.25..4 around 1.
      {"openai", {{"ttsVolume", 100}, {"ttsRate", 50}, {"ttsPitch", 100}}, {{"/speed", 2.5}}},
      {"openai", {{"ttsRate", -100}}, {{"/speed", 0.25}}},
      // MiniMax: vol 0.1..10 and speed 0.5..2 around 1, pitch -12..12 around 0.
      {"minimax_httpstream", {{"ttsVolume", -100}, {"ttsRate", 100}, {"ttsPitch", 50}},
       {{"/voice_setting/vol", 0.1}, {"/voice_setting/speed", 2.0}, {"/voice_setting/pitch", 6}}},
      // A percentage as text (a form) counts; null and absent leave the entry as it is.
      {"edge", {{"ttsVolume", "20"}, {"ttsRate", nullptr}}, {{"/volume", 60}, {"/rate", -10}}},
  };
  return c;
}

}  // namespace

TEST(ManagerVoiceSettings, EachEnginesKeysGetThePercentagesAsTheReferenceMapsThem) {
  for (const auto& c : cases()) {
    EngineConfig entry = c.manager;
    entry["rate"] = -10;  // configured: kept when the manager sends no ttsRate
    const EngineConfig got = with_manager_voice_settings(c.type, entry);
    for (auto it = c.expected.begin(); it != c.expected.end(); ++it) {
      const json::json_pointer at(it.key());
      ASSERT_TRUE(got.contains(at)) << c.type << " " << it.key() << " missing in " << got.dump();
      if (it->is_number_float())
        EXPECT_NEAR(got[at].get<double>(), it->get<double>(), 1e-9) << c.type << " " << it.key();
      else
        EXPECT_EQ(got[at], *it) << c.type << " " << it.key() << " from " << c.manager.dump();
    }
  }
}

TEST(ManagerVoiceSettings, EnginesWithoutTheSettingsAndUserMappingsAreLeftAlone) {
  const EngineConfig entry = {{"ttsVolume", 100}, {"speed", 1.0}};
  EXPECT_EQ(with_manager_voice_settings("siliconflow", entry), entry);
  // Huoshan: the user's audio_params keep their other keys (the engine merges them over
  // its defaults); the manager's value wins for its own.
  const EngineConfig huoshan = {{"ttsRate", 100}, {"audio_params", {{"speech_rate", 5}, {"emotion", "happy"}}}};
  const auto got = with_manager_voice_settings("huoshan_double_stream", huoshan);
  EXPECT_EQ(got["audio_params"], (json{{"speech_rate", 100}, {"emotion", "happy"}}));
  EXPECT_THROW(with_manager_voice_settings("edge", {{"ttsVolume", "loud"}}), EngineConfigError);
  EXPECT_THROW(with_manager_voice_settings("edge", {{"ttsVolume", json::array()}}), EngineConfigError);
}

// End to end: an agent's Aliyun entry from the manager, built by the registry, sends the
// mapped values to the vendor.
TEST(ManagerVoiceSettings, TheMappedValuesReachTheVendor) {
  FakeTtsVendors fake;
  boost::asio::io_context io;
  boost::asio::thread_pool pool{1};
  xz::providers::ProviderContext ctx{pool};
  const json entry = {{"type", "aliyun"},      {"appkey", FakeVendorKeys::aliyun_appkey},
                      {"token", FakeVendorKeys::aliyun_token}, {"endpoint", fake.url("aliyun")},
                      {"ttsVolume", 40},       {"ttsRate", -20},
                      {"ttsPitch", 60}};
  xz::core::Config cfg(json{{"selected_module", {{"TTS", "TTS_AliyunTTS"}}}, {"TTS", {{"TTS_AliyunTTS", entry}}}});
  auto tts = xz::providers::make_tts(cfg, ctx);
  xz::test::Received got;
  xz::test::run_synthesis(io, *tts, xz::providers::TtsRequest{"Hello.", "", ""}, xz::test::recording_sink(got));
  ASSERT_TRUE(fake.wait_for_calls(1, std::chrono::seconds(2)));
  const auto call = fake.last_call();
  EXPECT_EQ(call.json["volume"], 70);
  EXPECT_EQ(call.json["speech_rate"], -100);
  EXPECT_EQ(call.json["pitch_rate"], 300);
  // A bad percentage is one error naming the entry and the key.
  xz::core::Config bad(json{{"selected_module", {{"TTS", "T"}}},
                            {"TTS", {{"T", {{"type", "edge"}, {"ttsRate", "fast"}}}}}});
  try {
    (void)xz::providers::make_tts(bad, ctx);
    FAIL() << "accepted";
  } catch (const EngineConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("TTS.T.ttsRate: ", 0), 0u) << e.what();
  }
}
