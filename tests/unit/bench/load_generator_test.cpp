// The load generator against the real server (Silero VAD, Opus, the OpenAI engines)
// with the fake OpenAI API: a few devices, so the run is short, but every measurement
// path is exercised end to end.
#include <gtest/gtest.h>

#include "sim/load/load_generator.h"
#include "support/fake_openai.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::sim::LoadGenerator;
using xz::sim::LoadMode;
using xz::sim::LoadOptions;
using xz::test::FakeOpenAi;
using xz::test::FakeReply;
using xz::test::TestServer;

namespace {

constexpr int kFirstTokenMs = 150;

std::vector<std::pair<std::string, json>> openai_everywhere(const FakeOpenAi& fake) {
  return {{"selected_module.ASR", "OpenaiASR"},
          {"ASR.OpenaiASR.base_url", fake.url() + "/audio/transcriptions"},
          {"ASR.OpenaiASR.api_key", "sk-test"},
          {"selected_module.TTS", "OpenAITTS"},
          {"TTS.OpenAITTS.api_url", fake.url() + "/audio/speech"},
          {"TTS.OpenAITTS.api_key", "sk-test"},
          {"LLM.OpenAILLM.base_url", fake.url()},
          {"LLM.OpenAILLM.api_key", "sk-test"}};
}

void script_fake(FakeOpenAi& fake) {
  FakeReply r;
  r.tokens = {"Sure, ", "it ", "is ", "sunny ", "and ", "warm ", "today, ", "with ", "a ", "light ", "breeze. "};
  r.first_token_delay = std::chrono::milliseconds(kFirstTokenMs);
  r.token_interval = 20ms;
  fake.set_default_reply([r](const json&) { return r; });
  fake.set_transcript("what is the weather like today");
}

std::size_t requests_to(const FakeOpenAi& fake, const std::string& suffix) {
  std::size_t n = 0;
  for (const auto& r : fake.requests()) n += r.path.ends_with(suffix) ? 1 : 0;
  return n;
}

TEST(LoadGenerator, ActiveDevicesMeasureEveryTurn) {
  FakeOpenAi fake;
  script_fake(fake);
  // Without speculative replies: the lower bounds below (nothing before the VAD packet
  // plus the LLM's delay) hold only when no reply starts before the end of speech.
  auto config = openai_everywhere(fake);
  config.push_back({"VAD.SileroVAD.speculative_silence_ms", 0});
  TestServer server(config);
  LoadOptions o;
  o.mode = LoadMode::active;
  o.url = server.ws_url();
  o.ota_url = server.http_url("/xiaozhi/ota/");
  o.devices = 2;
  o.rate = 0;
  o.turns = 2;
  o.think = 600ms;
  o.provider_delay_ms = kFirstTokenMs;
  o.raw = true;
  json r = LoadGenerator(o).run();

  const auto& c = r["counts"];
  EXPECT_EQ(c["hello_ok"], 2);
  EXPECT_EQ(c["turns_ok"], 4);
  EXPECT_EQ(c["turns_timed_out"], 0);
  EXPECT_EQ(c["vad_mismatches"], 0);
  EXPECT_EQ(c["ota_failed"], 0);
  EXPECT_EQ(r["latency_ms"]["ota"]["count"], 2);
  EXPECT_EQ(requests_to(fake, "/audio/transcriptions"), 4u);  // one utterance per turn reached the ASR

  // The VAD decides after the configured silence; the reply comes after the LLM's delay.
  const double vad_after_eos = r["plan"]["vad_after_eos_ms"];
  EXPECT_GE(vad_after_eos, 200.0);
  const auto& lat = r["latency_ms"];
  ASSERT_EQ(lat["server_added"]["count"], 4);
  EXPECT_GE(lat["server_added"]["min"].get<double>(), -5.0);  // never before the providers could answer
  EXPECT_LT(lat["server_added"]["max"].get<double>(), 1000.0);
  EXPECT_GE(lat["eos_to_first_frame"]["min"].get<double>(), vad_after_eos + kFirstTokenMs - 5.0);
  EXPECT_EQ(lat["vad_to_stt"]["count"], 4);

  const auto& d = r["downlink"];
  EXPECT_GT(d["frames"].get<int>(), 4 * 5);
  EXPECT_GT(d["paced_frames"].get<int>(), 0);
  EXPECT_EQ(d["lateness_ms"]["samples"].size(), d["paced_frames"].get<std::size_t>());
  EXPECT_EQ(d["frames_outside_speaking"], 0);

  // The simulator timed itself.
  EXPECT_GT(r["simulator"]["uplink_send_lateness_ms"]["count"].get<int>(), 4 * 20);
  EXPECT_GT(r["simulator"]["loop_lateness_ms"]["count"].get<int>(), 100);
  const auto& t = r["timeline"];
  EXPECT_LE(t["started_ms"].get<double>(), t["ramp_done_ms"].get<double>());
  EXPECT_LE(t["ramp_done_ms"].get<double>(), t["first_done_ms"].get<double>());
  EXPECT_LE(t["first_done_ms"].get<double>(), t["finished_ms"].get<double>());
}

TEST(LoadGenerator, BargeInMeasuresTheAbort) {
  FakeOpenAi fake;
  script_fake(fake);
  TestServer server(openai_everywhere(fake));
  LoadOptions o;
  o.mode = LoadMode::barge_in;
  o.url = server.ws_url();
  o.devices = 1;
  o.turns = 1;
  o.think = 600ms;
  o.abort_after = 300ms;
  json r = LoadGenerator(o).run();

  EXPECT_EQ(r["counts"]["turns_ok"], 1);
  EXPECT_EQ(r["counts"]["replies_before_abort"], 0);
  const auto& lat = r["latency_ms"];
  ASSERT_EQ(lat["abort_to_tts_stop"]["count"], 1);
  EXPECT_GE(lat["abort_to_tts_stop"]["min"].get<double>(), 0.0);
  EXPECT_LT(lat["abort_to_tts_stop"]["max"].get<double>(), 500.0);
  ASSERT_EQ(lat["abort_to_last_frame"]["count"], 1);
  EXPECT_LT(lat["abort_to_last_frame"]["max"].get<double>(), 500.0);
  // Aborted early: far fewer frames than the whole reply (about 3.5 s, ~58 frames).
  EXPECT_LT(r["downlink"]["frames"].get<int>(), 30);
}

TEST(LoadGenerator, IdleDevicesHoldUntilReleased) {
  TestServer server;
  LoadOptions o;
  o.mode = LoadMode::idle;
  o.url = server.ws_url();
  o.devices = 20;
  o.rate = 200;
  o.loops = 2;
  o.hold_s = 0.3;
  json r = LoadGenerator(o).run();

  EXPECT_EQ(r["counts"]["devices"], 20);
  EXPECT_EQ(r["counts"]["hello_ok"], 20);
  EXPECT_EQ(r["counts"]["held_at_release"], 20);
  EXPECT_EQ(r["counts"]["closed_by_server"], 0);
  EXPECT_EQ(r["latency_ms"]["hello"]["count"], 20);
  EXPECT_LT(r["latency_ms"]["hello"]["p50"].get<double>(), 100.0);
  const auto& t = r["timeline"];
  EXPECT_GE(t["released_ms"].get<double>() - t["all_settled_ms"].get<double>(), 300.0);
  // 20 arrivals at 200/s take about 0.1 s.
  EXPECT_GE(t["all_settled_ms"].get<double>() - t["started_ms"].get<double>(), 90.0);
}

TEST(LoadGenerator, RefusesAnUtteranceTheVadCannotHear) {
  TestServer server;
  LoadOptions o;
  o.mode = LoadMode::active;
  o.url = server.ws_url();
  o.devices = 1;
  o.vad_threshold = 1.0;  // no window is ever that certain
  o.vad_threshold_low = 1.0;
  try {
    LoadGenerator(o).run();
    FAIL() << "the run must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("does not hear"), std::string::npos) << e.what();
  }
}

}  // namespace
