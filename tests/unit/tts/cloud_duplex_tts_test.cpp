// aliyun_stream, alibl_stream and xunfei_stream against their local fakes (each the
// vendor's real wire protocol): a reply streamed in fragments, connection reuse as the
// reference does it, barge-in, vendor faults, and each vendor's authentication.
#include <functional>

#include <gtest/gtest.h>

#include "providers/registry.h"
#include "providers/tts/alibl_stream_tts.h"
#include "providers/tts/aliyun_stream_tts.h"
#include "providers/tts/xunfei_stream_tts.h"
#include "support/fake_duplex_tts.h"
#include "unit/tts/duplex_harness.h"

using namespace std::chrono_literals;
using xz::providers::EngineConfig;
using xz::providers::ProviderContext;
using xz::providers::TtsEngine;
using xz::test::FakeDuplexOptions;
using xz::test::FakeDuplexTts;
using xz::test::FakeDuplexVendor;
using xz::test::FakeTtsFault;
using xz::test::run_on;
using xz::test::stream_reply;

namespace {

struct Vendor {
  const char* name;
  FakeDuplexVendor fake;
  // The reference's config.yaml entry with only the endpoint and keys changed.
  std::function<EngineConfig(const FakeDuplexTts&)> entry;
  std::function<std::unique_ptr<TtsEngine>(const EngineConfig&, ProviderContext&)> make;
  bool reuses;                 // the connection serves the next reply
  const char* start_message;   // what the fake records for a session's start
  const char* text_message;
  const char* finish_message;
  const char* cancel_message;  // "" = the connection is closed instead
  const char* fault_text;      // in the error of an error frame
};

std::string token_url(const FakeDuplexTts& f) { return "http://127.0.0.1:" + std::to_string(f.port()) + "/"; }

const Vendor kVendors[] = {
    {"aliyun_stream", FakeDuplexVendor::aliyun,
     [](const FakeDuplexTts& f) {
       return EngineConfig{{"type", "aliyun_stream"},           {"output_dir", "tmp/"},
                           {"appkey", "test-app"},               {"token", "console-token-not-used"},
                           {"voice", "longxiaochun "},           {"access_key_id", "test-key-id"},
                           {"access_key_secret", "test-secret"}, {"host", "nls-gateway-cn-beijing.aliyuncs.com"},
                           {"endpoint", f.url()},                {"token_url", token_url(f)}};
     },
     [](const EngineConfig& c, ProviderContext& ctx) { return std::make_unique<xz::providers::AliyunStreamTts>(c, ctx); },
     true, "StartSynthesis", "RunSynthesis", "StopSynthesis", "StopSynthesis", "TaskFailed 50000000: synthesis engine error"},
    {"alibl_stream", FakeDuplexVendor::alibl,
     [](const FakeDuplexTts& f) {
       return EngineConfig{{"type", "alibl_stream"}, {"api_key", "test-token"}, {"model", "cosyvoice-v2"},
                           {"voice", "longcheng_v2"}, {"output_dir", "tmp/"},   {"ws_url", f.url()}};
     },
     [](const EngineConfig& c, ProviderContext& ctx) { return std::make_unique<xz::providers::AliBlStreamTts>(c, ctx); },
     true, "run-task", "continue-task", "finish-task", "finish-task", "task-failed InternalError: synthesis engine error"},
    {"xunfei_stream", FakeDuplexVendor::xunfei,
     [](const FakeDuplexTts& f) {
       return EngineConfig{{"type", "xunfei_stream"}, {"api_url", f.url()},           {"app_id", "test-app"},
                           {"api_secret", "test-secret"}, {"api_key", "test-token"}, {"voice", "x5_lingxiaoxuan_flow"},
                           {"output_dir", "tmp/"}};
     },
     [](const EngineConfig& c, ProviderContext& ctx) { return std::make_unique<xz::providers::XunfeiStreamTts>(c, ctx); },
     false, "status 0", "status 1", "status 2", "", "error 10163: synthesis engine error"},
};

class CloudDuplexTts : public ::testing::TestWithParam<Vendor> {
 protected:
  CloudDuplexTts() { rt.start(); }
  xz::core::Runtime rt{1, 1};
  ProviderContext ctx{rt.pool()};
};

std::vector<std::string> texts_of(const FakeDuplexTts& fake, const char* name) {
  std::vector<std::string> out;
  for (const auto& m : fake.received())
    if (m.name == name) out.push_back(m.text);
  return out;
}

}  // namespace

TEST_P(CloudDuplexTts, AReplyStreamedInFragmentsIsSpoken) {
  const auto& v = GetParam();
  FakeDuplexTts fake(v.fake);
  auto tts = v.make(v.entry(fake), ctx);
  auto link = tts->open_stream_link(rt.loop(0).get_executor());
  ASSERT_TRUE(link);
  auto r = run_on(rt, stream_reply(*link, {"你好，", "今天天气", "很好。"}, 20ms));
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.sample_rate, 24000);
  EXPECT_NEAR(r.seconds(), 0.16 + 0.48, 0.13);
  EXPECT_EQ(fake.count(v.start_message), 1u);
  EXPECT_EQ(texts_of(fake, v.text_message), (std::vector<std::string>{"你好，", "今天天气", "很好。"}));
  EXPECT_EQ(fake.count(v.finish_message), 1u);
  EXPECT_EQ(fake.sessions_finished(), 1u);
}

TEST_P(CloudDuplexTts, ConnectionsAreReusedAsTheReferenceDoes) {
  const auto& v = GetParam();
  FakeDuplexTts fake(v.fake);
  auto tts = v.make(v.entry(fake), ctx);
  auto link = tts->open_stream_link(rt.loop(0).get_executor());
  for (int i = 0; i < 3; ++i) {
    auto r = run_on(rt, stream_reply(*link, {"Reply " + std::to_string(i) + "."}));
    ASSERT_FALSE(r.error) << *r.error;
    EXPECT_GT(r.pcm.size(), 0u);
  }
  EXPECT_EQ(fake.connections(), v.reuses ? 1 : 3);
  EXPECT_EQ(fake.sessions_finished(), 3u);
}

TEST_P(CloudDuplexTts, BargeInTellsTheVendorAndDropsTheRest) {
  const auto& v = GetParam();
  FakeDuplexOptions o;
  o.chunk_interval = 50ms;
  FakeDuplexTts fake(v.fake, o);
  auto tts = v.make(v.entry(fake), ctx);
  auto link = tts->open_stream_link(rt.loop(0).get_executor());
  auto r = run_on(rt, [&]() -> xz::core::Task<std::pair<std::size_t, std::size_t>> {
    auto stream = link->open_stream();
    std::size_t at_cancel = 0, total = 0;
    xz::providers::TtsStreamEvents ev;
    ev.audio = [&](xz::providers::PcmChunk c) -> boost::asio::awaitable<bool> {
      total += c.samples.size();
      if (at_cancel == 0 && total > 24000 / 5) {
        at_cancel = total;
        stream->cancel();
      }
      co_return true;
    };
    stream->push_text("This sentence is long enough to take a few seconds to speak at the fake's pace.");
    stream->finish();
    co_await stream->run(std::move(ev));
    co_await xz::core::sleep_for(300ms);
    co_return std::make_pair(at_cancel, total);
  }());
  EXPECT_GT(r.first, 0u);
  EXPECT_EQ(r.second, r.first) << "no audio after the cancel";
  if (*v.cancel_message) {
    EXPECT_TRUE(fake.wait_for(v.cancel_message, 1, 5s));
  }
  auto next = run_on(rt, stream_reply(*link, {"Next."}));
  ASSERT_FALSE(next.error) << *next.error;
  EXPECT_GT(next.pcm.size(), 0u);
  if (!*v.cancel_message) {
    EXPECT_EQ(fake.connections(), 2) << "closing is the only cancel";
  }
}

TEST_P(CloudDuplexTts, VendorFaultsEndTheReplyNamingTheEngineAndTheLinkRecovers) {
  const auto& v = GetParam();
  struct Case {
    FakeTtsFault fault;
    std::string expect;
  };
  for (const auto& c : {Case{FakeTtsFault::error_frame, v.fault_text}, Case{FakeTtsFault::drop, "dropped mid-reply"},
                        Case{FakeTtsFault::stall, "no answer for 300 ms"},
                        Case{FakeTtsFault::malformed, "malformed message"},
                        Case{FakeTtsFault::session_failed, "speaker permission denied"}}) {
    FakeDuplexTts fake(v.fake);
    auto cfg = v.entry(fake);
    cfg["tts_timeout"] = 0.3;
    auto tts = v.make(cfg, ctx);
    auto link = tts->open_stream_link(rt.loop(0).get_executor());
    SCOPED_TRACE(c.expect);
    fake.fail_next_session(c.fault);
    auto r = run_on(rt, stream_reply(*link, {"First part, ", "second part."}));
    ASSERT_TRUE(r.error) << c.expect;
    EXPECT_EQ(r.error->rfind(std::string(v.name) + ": ", 0), 0u) << *r.error;
    EXPECT_NE(r.error->find(c.expect), std::string::npos) << *r.error;
    auto next = run_on(rt, stream_reply(*link, {"Fine again."}));
    EXPECT_FALSE(next.error) << *next.error;
    EXPECT_GT(next.pcm.size(), 0u);
  }
}

TEST_P(CloudDuplexTts, WrongCredentialsAreRefused) {
  const auto& v = GetParam();
  FakeDuplexOptions o;
  o.token = "another-token";
  o.secret = "another-secret";
  FakeDuplexTts fake(v.fake, o);
  auto tts = v.make(v.entry(fake), ctx);
  auto link = tts->open_stream_link(rt.loop(0).get_executor());
  auto r = run_on(rt, stream_reply(*link, {"Hello."}));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->rfind(std::string(v.name) + ": ", 0), 0u) << *r.error;
}

TEST_P(CloudDuplexTts, TheRegistryMakesItByTheReferencesTypeName) {
  const auto& v = GetParam();
  FakeDuplexTts fake(v.fake);
  xz::core::Config cfg;
  nlohmann::json root = {{"selected_module", {{"TTS", "MyTTS"}}}, {"TTS", {{"MyTTS", v.entry(fake)}}}};
  cfg = xz::core::Config(root);
  auto tts = xz::providers::make_tts(cfg, ctx);
  auto link = tts->open_stream_link(rt.loop(0).get_executor());
  ASSERT_TRUE(link);
  EXPECT_FALSE(run_on(rt, stream_reply(*link, {"Hello."})).error);
}

INSTANTIATE_TEST_SUITE_P(Vendors, CloudDuplexTts, ::testing::ValuesIn(kVendors),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(AliyunStreamTts, TheCreateTokenTokenIsCachedForEverySessionOfTheEngine) {
  xz::core::Runtime rt{1, 1};
  rt.start();
  ProviderContext ctx{rt.pool()};
  FakeDuplexTts fake(FakeDuplexVendor::aliyun);
  xz::providers::AliyunStreamTts tts(kVendors[0].entry(fake), ctx);
  for (int i = 0; i < 2; ++i) {
    auto link = tts.open_stream_link(rt.loop(0).get_executor());
    EXPECT_FALSE(run_on(rt, stream_reply(*link, {"Hello."})).error);
  }
  EXPECT_EQ(fake.tokens_issued(), 1);
  EXPECT_EQ(fake.connections(), 2);
}

TEST(AliyunStreamTts, ATokenCloseToItsExpiryIsRenewed) {
  xz::core::Runtime rt{1, 1};
  rt.start();
  ProviderContext ctx{rt.pool()};
  FakeDuplexOptions o;
  o.token_ttl_seconds = 30;  // within the minute before expiry: fetched again each time
  FakeDuplexTts fake(FakeDuplexVendor::aliyun, o);
  xz::providers::AliyunStreamTts tts(kVendors[0].entry(fake), ctx);
  for (int i = 0; i < 2; ++i) {
    auto link = tts.open_stream_link(rt.loop(0).get_executor());
    EXPECT_FALSE(run_on(rt, stream_reply(*link, {"Hello."})).error);
  }
  EXPECT_EQ(fake.tokens_issued(), 2);
}

TEST(AliyunStreamTts, ARefusedCreateTokenNamesTheVendorsReason) {
  xz::core::Runtime rt{1, 1};
  rt.start();
  ProviderContext ctx{rt.pool()};
  FakeDuplexOptions o;
  o.secret = "not-what-the-engine-has";
  FakeDuplexTts fake(FakeDuplexVendor::aliyun, o);
  xz::providers::AliyunStreamTts tts(kVendors[0].entry(fake), ctx);
  auto link = tts.open_stream_link(rt.loop(0).get_executor());
  auto r = run_on(rt, stream_reply(*link, {"Hello."}));
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("aliyun_stream: CreateToken HTTP 400"), std::string::npos) << *r.error;
  EXPECT_EQ(fake.token_requests_refused(), 1);
  EXPECT_EQ(fake.connections(), 0);
}

TEST(AliyunStreamTts, WithoutKeysTheConfiguredTokenIsUsed) {
  xz::core::Runtime rt{1, 1};
  rt.start();
  ProviderContext ctx{rt.pool()};
  FakeDuplexTts fake(FakeDuplexVendor::aliyun);
  auto cfg = kVendors[0].entry(fake);
  cfg.erase("access_key_id");
  cfg.erase("access_key_secret");
  cfg["token"] = "test-token";
  xz::providers::AliyunStreamTts tts(cfg, ctx);
  auto link = tts.open_stream_link(rt.loop(0).get_executor());
  EXPECT_FALSE(run_on(rt, stream_reply(*link, {"Hello."})).error);
  EXPECT_EQ(fake.tokens_issued(), 0);
  EXPECT_EQ(fake.upgrade_headers().at(0)["x-nls-token"], "test-token");
}
