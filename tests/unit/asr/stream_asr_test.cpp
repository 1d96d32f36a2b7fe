// The streaming WebSocket ASR engines against their local fakes (each the vendor's real
// wire protocol): an utterance streamed as the Listener streams it (pre-roll, then one
// 60 ms frame at a time), partial results before the end of audio, the final text, what
// the vendor received, faults, cancellation, the bound on audio waiting for the vendor,
// and how soon the final text follows the vendor's finalisation.
#include <algorithm>
#include <functional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/config.h"
#include "core/default_config.h"
#include "providers/registry.h"
#include "core/runtime.h"
#include "providers/asr/aliyun_stream_asr.h"
#include "providers/asr/aliyunbl_stream_asr.h"
#include "providers/asr/doubao_stream_asr.h"
#include "providers/asr/ws_asr_session.h"
#include "providers/asr/xunfei_stream_asr.h"
#include "support/fake_stream_asr.h"

using namespace std::chrono_literals;
using xz::providers::AsrEngine;
using xz::providers::AsrResult;
using xz::providers::AsrStream;
using xz::providers::EngineConfig;
using xz::providers::ProviderContext;
using xz::test::FakeAsrFault;
using xz::test::FakeAsrVendor;
using xz::test::FakeStreamAsr;
using xz::test::FakeStreamAsrOptions;
using Clock = std::chrono::steady_clock;

namespace {

struct Vendor {
  const char* name;
  FakeAsrVendor fake;
  // The reference's config.yaml entry with only the endpoint and keys changed.
  std::function<EngineConfig(const FakeStreamAsr&)> entry;
  std::function<std::unique_ptr<AsrEngine>(const EngineConfig&, ProviderContext&)> make;
  const char* start_message;  // what the fake records
  const char* end_message;    // our end of audio
  const char* cancel_message;  // what a cancelled utterance sends ("" = the socket is closed only)
  const char* error_text;      // in finish()'s error for the fake's error frame
  const char* refused_text;    // in finish()'s error when the credentials are wrong
};

const Vendor kVendors[] = {
    {"doubao_stream", FakeAsrVendor::doubao,
     [](const FakeStreamAsr& f) {
       return EngineConfig{{"type", "doubao_stream"},
                           {"appid", "test-app"},
                           {"access_token", "test-token"},
                           {"cluster", "volcengine_input_common"},
                           {"resource_id", "volc.bigasr.sauc.duration"},
                           {"boosting_table_name", "(在热词管理页面创建，可不填)"},
                           {"correct_table_name", "(在替换词管理页面创建，可不填)"},
                           {"enable_multilingual", false},
                           {"end_window_size", 200},
                           {"output_dir", "tmp/"},
                           {"endpoint", f.url()}};
     },
     [](const EngineConfig& c, ProviderContext& ctx) { return std::make_unique<xz::providers::DoubaoStreamAsr>(c, ctx); },
     "FullClientRequest", "LastAudio", "", "error 45000001: timed out waiting for packets",
     "HTTP 401 x-api-status-code=45000010 x-api-message=invalid auth"},
    {"xunfei_stream", FakeAsrVendor::xunfei,
     [](const FakeStreamAsr& f) {
       return EngineConfig{{"type", "xunfei_stream"}, {"app_id", "test-app"},   {"api_key", "test-token"},
                           {"api_secret", "test-secret"}, {"domain", "slm"},     {"language", "zh_cn"},
                           {"accent", "mandarin"},        {"output_dir", "tmp/"}, {"endpoint", f.url()}};
     },
     [](const EngineConfig& c, ProviderContext& ctx) { return std::make_unique<xz::providers::XunfeiStreamAsr>(c, ctx); },
     "status 0", "status 2", "", "code 10160: timed out waiting for packets", "HTTP 401"},
    {"aliyunbl_stream", FakeAsrVendor::alibl,
     [](const FakeStreamAsr& f) {
       return EngineConfig{{"type", "aliyunbl_stream"},
                           {"api_key", "test-token"},
                           {"model", "paraformer-realtime-v2"},
                           {"format", "pcm"},
                           {"sample_rate", 16000},
                           {"disfluency_removal_enabled", false},
                           {"semantic_punctuation_enabled", false},
                           {"max_sentence_silence", 200},
                           {"multi_threshold_mode_enabled", false},
                           {"punctuation_prediction_enabled", true},
                           {"inverse_text_normalization_enabled", true},
                           {"output_dir", "tmp/"},
                           {"endpoint", f.url()}};
     },
     [](const EngineConfig& c, ProviderContext& ctx) { return std::make_unique<xz::providers::AliyunBlStreamAsr>(c, ctx); },
     "run-task", "finish-task", "finish-task", "task-failed CLIENT_ERROR: timed out waiting for packets", "HTTP 401"},
    {"aliyun_stream", FakeAsrVendor::aliyun,
     [](const FakeStreamAsr& f) {
       return EngineConfig{{"type", "aliyun_stream"},
                           {"appkey", "test-app"},
                           {"token", "console-token-not-used"},
                           {"access_key_id", "test-key-id"},
                           {"access_key_secret", "test-secret"},
                           {"host", "nls-gateway-cn-shanghai.aliyuncs.com"},
                           {"max_sentence_silence", 800},
                           {"output_dir", "tmp/"},
                           {"endpoint", f.url()},
                           {"token_url", f.token_url()}};
     },
     [](const EngineConfig& c, ProviderContext& ctx) { return std::make_unique<xz::providers::AliyunStreamAsr>(c, ctx); },
     "StartTranscription", "StopTranscription", "StopTranscription",
     "TaskFailed 40000004: timed out waiting for packets", "CreateToken HTTP 400"},
};

void PrintTo(const Vendor& v, std::ostream* os) { *os << v.name; }

// 60 ms device frames of distinct samples.
std::vector<std::int16_t> frame(int i) {
  std::vector<std::int16_t> f(960);
  for (std::size_t j = 0; j < f.size(); ++j) f[j] = static_cast<std::int16_t>((i * 977 + int(j) * 31) % 30000 - 15000);
  return f;
}

std::string bytes_of(int from, int to) {
  std::string out;
  for (int i = from; i < to; ++i)
    for (auto s : frame(i)) {
      const auto v = static_cast<std::uint16_t>(s);
      out.push_back(static_cast<char>(v & 0xFF));
      out.push_back(static_cast<char>(v >> 8));
    }
  return out;
}

struct Utterance {
  AsrResult result;
  std::vector<std::string> partials;
  std::size_t partials_before_finish = 0;
  std::chrono::microseconds finish_took{0};
};

class StreamAsr : public ::testing::TestWithParam<Vendor> {
 protected:
  StreamAsr() { rt.start(); }
  ~StreamAsr() override { rt.stop(); }

  template <class T>
  T run(xz::core::Task<T> task, std::chrono::seconds timeout = 30s) {
    auto fut = boost::asio::co_spawn(rt.loop(0), std::move(task), boost::asio::use_future);
    if (fut.wait_for(timeout) != std::future_status::ready) throw std::runtime_error("test coroutine did not finish");
    return fut.get();
  }

  std::unique_ptr<AsrEngine> engine(const FakeStreamAsr& fake, EngineConfig extra = EngineConfig::object()) {
    auto cfg = GetParam().entry(fake);
    for (auto it = extra.begin(); it != extra.end(); ++it) cfg[it.key()] = it.value();
    return GetParam().make(cfg, ctx);
  }

  // As the Listener does it: open at speech start, the pre-roll (10 frames), then
  // `live` more frames, waiting for the first partial when `await_partial`, then finish().
  xz::core::Task<Utterance> utter(AsrEngine& e, int live, bool await_partial) {
    Utterance u;
    auto got_partial = std::make_shared<xz::core::Event>(co_await boost::asio::this_coro::executor);
    auto stream = co_await e.open();
    stream->on_partial([&u, got_partial](const std::string& t) {
      u.partials.push_back(t);
      got_partial->set();
    });
    for (int i = 0; i < 10 + live; ++i) co_await stream->push(frame(i));
    if (await_partial) co_await xz::core::with_timeout(got_partial->wait(), 5s);
    u.partials_before_finish = u.partials.size();
    const auto t0 = Clock::now();
    u.result = co_await stream->finish();
    u.finish_took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
    co_return u;
  }

  xz::core::Runtime rt{1, 1};
  ProviderContext ctx{rt.pool()};
};

TEST_P(StreamAsr, TranscribesWithPartialsFromTheReferenceEntry) {
  FakeStreamAsr fake(GetParam().fake);
  auto e = engine(fake);
  auto u = run(utter(*e, 10, true));
  EXPECT_EQ(u.result.text, "你好世界");
  ASSERT_GE(u.partials_before_finish, 1u);
  EXPECT_EQ(u.partials.front(), "你好");
  // Every pushed byte reached the vendor, pre-roll first, in order.
  EXPECT_EQ(fake.audio(1), bytes_of(0, 20));
  EXPECT_EQ(fake.count(GetParam().start_message), 1u);
  EXPECT_EQ(fake.count(GetParam().end_message), 1u);
  EXPECT_TRUE(fake.wait_for("Close", 1, 5s));  // the connection is not kept
}

// config/config.yaml's entry of the engine, selected and given the reference entry's keys
// (credentials, the fake's endpoint), is built by the registry under the reference's type.
TEST_P(StreamAsr, TheConfigFilesEntryIsBuiltByTheRegistry) {
  FakeStreamAsr fake(GetParam().fake);
  const std::map<std::string, std::string> entry_of = {{"doubao_stream", "DoubaoStreamASR"},
                                                       {"xunfei_stream", "XunfeiStreamASR"},
                                                       {"aliyunbl_stream", "AliyunBLStreamASR"},
                                                       {"aliyun_stream", "AliyunStreamASR"}};
  const std::string name = entry_of.at(GetParam().name);
  xz::core::ConfigSource src;
  src.defaults_yaml = std::string(xz::core::default_config_yaml());
  src.default_override_path = "";
  src.overrides = {{"selected_module.ASR", name}};
  const auto entry = GetParam().entry(fake);
  for (auto it = entry.begin(); it != entry.end(); ++it) src.overrides.push_back({"ASR." + name + "." + it.key(), it.value()});
  auto cfg = xz::core::Config::load(src);
  auto e = xz::providers::make_asr(cfg, ctx);
  EXPECT_EQ(run(utter(*e, 3, false)).result.text, "你好世界");
}

TEST_P(StreamAsr, FinalTextFollowsTheVendorsFinalisationWithin5Ms) {
  FakeStreamAsrOptions o;
  o.finalize_delay = 40ms;
  FakeStreamAsr fake(GetParam().fake, o);
  auto e = engine(fake);
  std::vector<long long> overhead_us;
  for (int i = 0; i < 7; ++i) {
    // The user speaks for longer than the connection takes to open: by the end of
    // speech the vendor has the audio.
    auto stream = run([&]() -> xz::core::Task<std::unique_ptr<AsrStream>> {
      auto s = co_await e->open();
      for (int k = 0; k < 15; ++k) co_await s->push(frame(k));
      co_return s;
    }());
    ASSERT_TRUE(fake.wait_for("Audio", 15 * (i + 1), 5s));
    const auto u = run([&]() -> xz::core::Task<Utterance> {
      Utterance out;
      const auto t0 = Clock::now();
      out.result = co_await stream->finish();
      out.finish_took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
      stream.reset();
      co_return out;
    }());
    ASSERT_EQ(u.result.text, "你好世界");
    overhead_us.push_back(u.finish_took.count() - 40000);
  }
  std::sort(overhead_us.begin(), overhead_us.end());
  std::printf("[ figure ] %s: finish() - finalisation delay (40 ms): min %lld us, median %lld us, max %lld us\n",
              GetParam().name, overhead_us.front(), overhead_us[overhead_us.size() / 2], overhead_us.back());
  EXPECT_GE(overhead_us.front(), -1000);  // it did wait for the vendor
  EXPECT_LE(overhead_us[overhead_us.size() / 2], 5000);
}

TEST_P(StreamAsr, CredentialsRefusedAtTheHandshakeNameTheVendorsMessage) {
  FakeStreamAsr fake(GetParam().fake);
  auto e = engine(fake, {{"access_token", "wrong"}, {"api_key", "wrong"}, {"token", "wrong"}, {"access_key_secret", "wrong"}});
  try {
    run(utter(*e, 3, false));
    FAIL() << "no error";
  } catch (const std::runtime_error& err) {
    const std::string what = err.what();
    EXPECT_TRUE(what.starts_with(std::string(GetParam().name) + ": ")) << what;
    EXPECT_NE(what.find(GetParam().refused_text), std::string::npos) << what;
  }
  EXPECT_EQ(fake.refused_upgrades() + fake.token_requests_refused(), 1);
}

struct FaultCase {
  FakeAsrFault fault;
  const char* expected;  // in what(); nullptr = the vendor's error text
};

TEST_P(StreamAsr, VendorFaultsFailFinishWithTheEngineAndTheMessage) {
  const FaultCase cases[] = {
      {FakeAsrFault::error_at_start, "invalid request parameters"},
      {FakeAsrFault::error_frame, nullptr},
      {FakeAsrFault::drop, "closed before the final answer"},
      {FakeAsrFault::malformed, "malformed message"},
      {FakeAsrFault::stall, "no final answer 300 ms after the end of audio"},
  };
  FakeStreamAsr fake(GetParam().fake);
  auto e = engine(fake, {{"timeout", 0.3}});
  for (const auto& c : cases) {
    fake.fail_next_session(c.fault);
    try {
      auto u = run(utter(*e, 3, false));
      ADD_FAILURE() << "no error for fault " << int(c.fault) << ", text " << u.result.text;
    } catch (const std::runtime_error& err) {
      const std::string what = err.what();
      EXPECT_TRUE(what.starts_with(std::string(GetParam().name) + ": ")) << what;
      EXPECT_NE(what.find(c.expected ? c.expected : GetParam().error_text), std::string::npos) << what;
    }
  }
  // The engine still works after all that.
  EXPECT_EQ(run(utter(*e, 3, false)).result.text, "你好世界");
}

TEST_P(StreamAsr, ADroppedStreamIsCancelledWithoutWaiting) {
  FakeStreamAsr fake(GetParam().fake);
  auto e = engine(fake);
  auto stream = run([&]() -> xz::core::Task<std::unique_ptr<AsrStream>> {
    auto s = co_await e->open();
    for (int i = 0; i < 5; ++i) co_await s->push(frame(i));
    co_return s;
  }());
  // The vendor has the audio: the session is surely open.
  ASSERT_TRUE(fake.wait_for("Audio", 5, 5s));
  const auto took = run([&]() -> xz::core::Task<std::chrono::microseconds> {
    const auto t0 = Clock::now();
    stream.reset();  // barge-in
    co_return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
  }());
  EXPECT_LT(took, 5ms);
  EXPECT_TRUE(fake.wait_for("Close", 1, 5s));
  if (*GetParam().cancel_message) {
    EXPECT_TRUE(fake.wait_for(GetParam().cancel_message, 1, 5s));  // the vendor was told
  } else {
    EXPECT_EQ(fake.count(GetParam().end_message), 0u);  // nothing was finalised
  }
  // A stream dropped before it even connected does not hang or crash either.
  run([&]() -> xz::core::Task<void> {
    auto stream = co_await e->open();
    co_await stream->push(frame(0));
  }());
  EXPECT_EQ(run(utter(*e, 3, false)).result.text, "你好世界");
}

// Audio pushed while the vendor has not accepted the session is held, up to a bound: past
// it the utterance fails at once (without the bound it would wait for the timeout and
// fail with "no final answer"). Two ways a vendor keeps us waiting: a server that accepts
// the TCP connection and never answers the upgrade (any engine), and a vendor that never
// answers the session's start (engines whose audio waits for it).
TEST_P(StreamAsr, AudioWaitingForTheVendorIsBounded) {
  FakeStreamAsr fake(GetParam().fake);
  const int frames = static_cast<int>(xz::providers::kMaxPendingAudioBytes / 1920) + 2;
  const auto push_too_much = [&](AsrEngine& e) {
    try {
      run([&]() -> xz::core::Task<void> {
        auto stream = co_await e.open();
        for (int i = 0; i < frames; ++i) co_await stream->push(frame(i));
        co_await stream->finish();
      }());
      ADD_FAILURE() << "no error";
    } catch (const std::runtime_error& err) {
      EXPECT_NE(std::string(err.what()).find("waited for the vendor to accept"), std::string::npos) << err.what();
    }
  };
  // Listening, never accepting: the kernel completes the handshake, nobody answers.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const std::string silent_url = "ws://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/silent";
  auto stalled_connect = engine(fake, {{"timeout", 5}, {"endpoint", silent_url}});
  const auto t0 = Clock::now();
  push_too_much(*stalled_connect);
  EXPECT_LT(Clock::now() - t0, 4s);  // the bound, not the 5 s timeout

  if (GetParam().fake == FakeAsrVendor::xunfei) return;  // audio itself opens the session
  fake.fail_next_session(FakeAsrFault::silent_start);
  auto silent_start = engine(fake, {{"timeout", 5}});
  push_too_much(*silent_start);
  EXPECT_EQ(fake.audio(1).size(), 0u);
}

// aliyun_stream: one CreateToken answer serves every session until a minute before it
// expires; a token closer to its expiry is fetched again; the console token is used as is.
TEST(AliyunStreamToken, IsCachedAcrossSessionsAndRefreshedBeforeItExpires) {
  xz::core::Runtime rt{1, 1};
  rt.start();
  ProviderContext ctx{rt.pool()};
  const auto transcribe = [&](AsrEngine& e) {
    auto fut = boost::asio::co_spawn(
        rt.loop(0),
        [&]() -> xz::core::Task<std::string> {
          auto s = co_await e.open();
          for (int i = 0; i < 3; ++i) co_await s->push(frame(i));
          co_return (co_await s->finish()).text;
        },
        boost::asio::use_future);
    return fut.get();
  };
  for (long long ttl : {3600LL, 30LL}) {
    FakeStreamAsrOptions o;
    o.token_ttl_seconds = ttl;  // 30 s: inside the refresh margin at once
    FakeStreamAsr fake(FakeAsrVendor::aliyun, o);
    auto cfg = kVendors[3].entry(fake);
    xz::providers::AliyunStreamAsr e(cfg, ctx);
    EXPECT_EQ(transcribe(e), "你好世界");
    EXPECT_EQ(transcribe(e), "你好世界");
    EXPECT_EQ(fake.tokens_issued(), ttl == 3600 ? 1 : 2) << "ttl " << ttl;
    EXPECT_EQ(e.token_fetches(), static_cast<std::size_t>(fake.tokens_issued()));
  }
  FakeStreamAsr fake(FakeAsrVendor::aliyun);
  auto cfg = kVendors[3].entry(fake);
  cfg.erase("access_key_id");
  cfg.erase("access_key_secret");
  cfg["token"] = "test-token";
  xz::providers::AliyunStreamAsr e(cfg, ctx);
  EXPECT_EQ(transcribe(e), "你好世界");
  EXPECT_EQ(fake.tokens_issued(), 0);
  rt.stop();
}

INSTANTIATE_TEST_SUITE_P(Engines, StreamAsr, ::testing::ValuesIn(kVendors),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
