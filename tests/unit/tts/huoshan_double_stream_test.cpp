// huoshan_double_stream against its local fake, which speaks the vendor's binary
// protocol: a reply streamed in fragments, the connection reused, barge-in, faults.
#include "providers/tts/huoshan_double_stream_tts.h"
#include "providers/tts/ws_duplex_link.h"

#include <regex>

#include <gtest/gtest.h>

#include "support/fake_duplex_tts.h"
#include "unit/tts/duplex_harness.h"

using namespace std::chrono_literals;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::HuoshanDoubleStreamTts;
using xz::providers::ProviderContext;
using xz::test::FakeDuplexOptions;
using xz::test::FakeDuplexTts;
using xz::test::FakeDuplexVendor;
using xz::test::FakeTtsFault;
using xz::test::run_on;
using xz::test::stream_reply;
using xz::test::StreamedReply;

namespace {

// The reference's config.yaml entry with only the endpoint and keys changed.
EngineConfig reference_entry(const FakeDuplexTts& fake) {
  auto cfg = EngineConfig::parse(R"({
    "type": "huoshan_double_stream",
    "appid": "test-app",
    "access_token": "test-token",
    "resource_id": "volc.service_type.10029",
    "speaker": "zh_female_wanwanxiaohe_moon_bigtts",
    "enable_ws_reuse": true,
    "audio_params": {"speech_rate": 0, "loudness_rate": 0},
    "additions": {"post_process": {"pitch": 0}},
    "mix_speaker": {}
  })");
  cfg["ws_url"] = fake.url();
  return cfg;
}

struct Fixture : ::testing::Test {
  xz::core::Runtime rt{1, 1};
  Fixture() { rt.start(); }
  ProviderContext ctx{rt.pool()};
};

using HuoshanDoubleStream = Fixture;

}  // namespace

TEST_F(HuoshanDoubleStream, AReplyStreamedInFragmentsIsSpokenWithTheVendorsSentences) {
  FakeDuplexTts fake(FakeDuplexVendor::huoshan);
  HuoshanDoubleStreamTts tts(reference_entry(fake), ctx);
  auto link = tts.open_stream_link(rt.loop(0).get_executor());
  ASSERT_TRUE(link);
  auto r = run_on(rt, stream_reply(*link, {"你好，", "今天天气", "很好。"}));
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.sample_rate, 24000);
  // Two cuts (at "，" and "。"): 2 and 6 characters at 80 ms each.
  EXPECT_NEAR(r.seconds(), 0.16 + 0.48, 0.13);
  EXPECT_EQ(r.sentences, (std::vector<std::string>{"你好，", "今天天气很好。"}));

  auto got = fake.received();
  ASSERT_GE(got.size(), 5u);
  EXPECT_EQ(got.front().name, "StartSession");
  EXPECT_TRUE(std::regex_match(got.front().session, std::regex("[0-9a-f]{32}")));
  EXPECT_EQ(got.front().raw.size(), 4u + 4 + 4 + 32 + 4 + 340);
  std::vector<std::string> texts;
  for (const auto& m : got) {
    EXPECT_EQ(m.session, got.front().session);
    if (m.name == "TaskRequest") texts.push_back(m.text);
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"你好，", "今天天气", "很好。"}));
  EXPECT_EQ(got.back().name, "FinishSession");
  // additions travel as a JSON string, as the reference sends them.
  EXPECT_TRUE(got.front().payload["req_params"]["additions"].is_string());
  auto headers = fake.upgrade_headers().at(0);
  EXPECT_EQ(headers["x-api-app-key"], "test-app");
  EXPECT_EQ(headers["x-api-access-key"], "test-token");
  EXPECT_EQ(headers["x-api-resource-id"], "volc.service_type.10029");
  EXPECT_TRUE(std::regex_match(headers["x-api-connect-id"],
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
}

TEST_F(HuoshanDoubleStream, TheSessionsConnectionIsReusedAcrossReplies) {
  FakeDuplexTts fake(FakeDuplexVendor::huoshan);
  HuoshanDoubleStreamTts tts(reference_entry(fake), ctx);
  auto link = tts.open_stream_link(rt.loop(0).get_executor());
  for (int i = 0; i < 3; ++i) {
    auto r = run_on(rt, stream_reply(*link, {"Reply number " + std::to_string(i) + "."}));
    ASSERT_FALSE(r.error) << *r.error;
    EXPECT_GT(r.pcm.size(), 0u);
  }
  EXPECT_EQ(fake.connections(), 1);
  EXPECT_EQ(fake.count("StartSession"), 3u);
  EXPECT_EQ(fake.sessions_finished(), 3u);
  // Another device session: a connection of its own.
  auto other = tts.open_stream_link(rt.loop(0).get_executor());
  auto r = run_on(rt, stream_reply(*other, {"Hello."}));
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(fake.connections(), 2);
}

TEST_F(HuoshanDoubleStream, WithoutReuseEachReplyHasItsOwnConnectionEndedByFinishConnection) {
  FakeDuplexTts fake(FakeDuplexVendor::huoshan);
  auto cfg = reference_entry(fake);
  cfg["enable_ws_reuse"] = "False";  // the reference reads str(v).lower() == 'false'
  HuoshanDoubleStreamTts tts(cfg, ctx);
  auto link = tts.open_stream_link(rt.loop(0).get_executor());
  for (int i = 0; i < 2; ++i) ASSERT_FALSE(run_on(rt, stream_reply(*link, {"One more."})).error);
  EXPECT_TRUE(fake.wait_for("FinishConnection", 2, 5s));
  EXPECT_EQ(fake.connections(), 2);
}

TEST_F(HuoshanDoubleStream, BargeInSendsCancelSessionAndNothingArrivesAfterIt) {
  FakeDuplexOptions o;
  o.chunk_interval = 50ms;
  FakeDuplexTts fake(FakeDuplexVendor::huoshan, o);
  HuoshanDoubleStreamTts tts(reference_entry(fake), ctx);
  auto link = tts.open_stream_link(rt.loop(0).get_executor());
  auto r = run_on(rt, [&]() -> xz::core::Task<std::pair<std::size_t, std::size_t>> {
    auto stream = link->open_stream();
    std::size_t at_cancel = 0, total = 0;
    xz::providers::TtsStreamEvents ev;
    ev.audio = [&](xz::providers::PcmChunk c) -> boost::asio::awaitable<bool> {
      total += c.samples.size();
      if (at_cancel == 0 && total > 24000 / 5) {
        at_cancel = total;
        stream->cancel();  // what Speaker::clear() does
      }
      co_return true;
    };
    stream->push_text("This sentence is long enough to take a few seconds to speak at the fake's pace.");
    stream->finish();
    auto t0 = std::chrono::steady_clock::now();
    co_await stream->run(std::move(ev));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
    co_await xz::core::sleep_for(300ms);  // late frames would arrive here
    co_return std::make_pair(at_cancel, total);
  }());
  EXPECT_GT(r.first, 0u);
  EXPECT_EQ(r.second, r.first) << "no audio after the cancel";
  EXPECT_TRUE(fake.wait_for("CancelSession", 1, 5s));
  // The connection serves the next reply once the vendor confirmed the cancel.
  auto next = run_on(rt, stream_reply(*link, {"Next."}));
  ASSERT_FALSE(next.error) << *next.error;
  EXPECT_GT(next.pcm.size(), 0u);
}

TEST_F(HuoshanDoubleStream, VendorFaultsEndTheReplyWithTheVendorsErrorAndTheLinkRecovers) {
  struct Case {
    FakeTtsFault fault;
    const char* expect;
  };
  for (auto c : {Case{FakeTtsFault::error_frame, "error frame 45000000: synthesis engine error"},
                 Case{FakeTtsFault::drop, "the connection dropped mid-reply"},
                 Case{FakeTtsFault::stall, "no answer for 300 ms"},
                 Case{FakeTtsFault::malformed, "malformed message"},
                 Case{FakeTtsFault::session_failed, "session failed: 45000001 speaker permission denied"}}) {
    FakeDuplexTts fake(FakeDuplexVendor::huoshan);
    auto cfg = reference_entry(fake);
    cfg["tts_timeout"] = 0.3;
    HuoshanDoubleStreamTts tts(cfg, ctx);
    auto link = tts.open_stream_link(rt.loop(0).get_executor());
    fake.fail_next_session(c.fault);
    auto r = run_on(rt, stream_reply(*link, {"First part, ", "second part."}));
    ASSERT_TRUE(r.error) << c.expect;
    EXPECT_NE(r.error->find("huoshan_double_stream: "), std::string::npos) << *r.error;
    EXPECT_NE(r.error->find(c.expect), std::string::npos) << *r.error;
    auto next = run_on(rt, stream_reply(*link, {"Fine again."}));
    EXPECT_FALSE(next.error) << *next.error;
    EXPECT_GT(next.pcm.size(), 0u);
  }
}

TEST_F(HuoshanDoubleStream, WrongCredentialsAreRefusedAtTheUpgrade) {
  FakeDuplexTts fake(FakeDuplexVendor::huoshan);
  auto cfg = reference_entry(fake);
  cfg["access_token"] = "wrong";
  HuoshanDoubleStreamTts tts(cfg, ctx);
  auto link = tts.open_stream_link(rt.loop(0).get_executor());
  auto r = run_on(rt, stream_reply(*link, {"Hello."}));
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("huoshan_double_stream: cannot connect"), std::string::npos) << *r.error;
  EXPECT_NE(r.error->find("401"), std::string::npos) << *r.error;
  EXPECT_EQ(fake.refused_upgrades(), 1);
}

TEST_F(HuoshanDoubleStream, SynthesizeSpeaksOneSegmentOverAConnectionOfItsOwn) {
  FakeDuplexTts fake(FakeDuplexVendor::huoshan);
  HuoshanDoubleStreamTts tts(reference_entry(fake), ctx);
  std::size_t samples = 0;
  run_on(rt, [&]() -> xz::core::Task<void> {
    xz::providers::TtsRequest req{"Good morning.", "", ""};
    co_await tts.synthesize(std::move(req), [&](xz::providers::PcmChunk c) -> boost::asio::awaitable<bool> {
      samples += c.samples.size();
      co_return true;
    });
  }());
  EXPECT_NEAR(samples / 24000.0, 11 * 0.08, 0.13);
  EXPECT_EQ(fake.connections(), 1);
}

TEST_F(HuoshanDoubleStream, ConfigurationErrorsNameTheKey) {
  FakeDuplexTts fake(FakeDuplexVendor::huoshan);
  auto no_id = reference_entry(fake);
  no_id.erase("appid");
  EXPECT_THROW(
      {
        try {
          HuoshanDoubleStreamTts t(no_id, ctx);
        } catch (const EngineConfigError& e) {
          EXPECT_STREQ(e.what(), "appid: missing");
          throw;
        }
      },
      EngineConfigError);
  auto http = reference_entry(fake);
  http["ws_url"] = "http://example.com/";
  EXPECT_THROW(HuoshanDoubleStreamTts(http, ctx), EngineConfigError);
  auto endpoint = reference_entry(fake);
  endpoint.erase("ws_url");
  endpoint["endpoint"] = fake.url();
  HuoshanDoubleStreamTts by_endpoint(endpoint, ctx);
  auto link = by_endpoint.open_stream_link(rt.loop(0).get_executor());
  EXPECT_FALSE(run_on(rt, stream_reply(*link, {"Hi."})).error);
}

TEST_F(HuoshanDoubleStream, AConnectionIdleLongerThanTheBoundIsClosed) {
  FakeDuplexTts fake(FakeDuplexVendor::huoshan);
  auto cfg = reference_entry(fake);
  cfg["idle_timeout"] = 0.3;
  HuoshanDoubleStreamTts tts(cfg, ctx);
  auto link = tts.open_stream_link(rt.loop(0).get_executor());
  ASSERT_FALSE(run_on(rt, stream_reply(*link, {"One."})).error);
  ASSERT_FALSE(run_on(rt, stream_reply(*link, {"Two."})).error);
  EXPECT_EQ(fake.connections(), 1) << "reused within the bound";
  EXPECT_TRUE(fake.wait_for("FinishConnection", 1, 3s)) << "closed politely once idle";
  ASSERT_FALSE(run_on(rt, stream_reply(*link, {"Three."})).error);
  EXPECT_EQ(fake.connections(), 2);
}

TEST_F(HuoshanDoubleStream, AReplysUndeliveredAudioIsBounded) {
  // The vendor sends a minute of audio at once while the speaker is busy: the reader
  // stops reading past the bound instead of holding it all.
  FakeDuplexOptions o;
  o.ms_per_char = 12000;  // "Hello." = 60 s = 2.9 MB
  FakeDuplexTts fake(FakeDuplexVendor::huoshan, o);
  HuoshanDoubleStreamTts tts(reference_entry(fake), ctx);
  auto link = tts.open_stream_link(rt.loop(0).get_executor());
  auto* ws = dynamic_cast<xz::providers::WsDuplexLink*>(link.get());
  ASSERT_NE(ws, nullptr);
  std::size_t most_queued = 0, samples = 0;
  run_on(rt, [&]() -> xz::core::Task<void> {
    auto stream = link->open_stream();
    xz::providers::TtsStreamEvents ev;
    ev.audio = [&](xz::providers::PcmChunk c) -> boost::asio::awaitable<bool> {
      if (samples == 0) {
        co_await xz::core::sleep_for(1s);  // everything the vendor sends arrives meanwhile
        most_queued = ws->queued_audio_bytes();
      }
      samples += c.samples.size();
      co_return true;
    };
    stream->push_text("Hello.");
    stream->finish();
    co_await stream->run(std::move(ev));
  }());
  EXPECT_GT(most_queued, xz::providers::WsDuplexLink::kMaxQueuedAudioBytes / 2) << "the vendor did send fast";
  EXPECT_LE(most_queued, xz::providers::WsDuplexLink::kMaxQueuedAudioBytes + 4800);
  EXPECT_EQ(samples, 60u * 24000) << "and nothing is lost";
}
