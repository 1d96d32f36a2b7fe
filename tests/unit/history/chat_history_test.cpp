#include "history/chat_history.h"

#include <chrono>
#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/metrics.h"
#include "core/runtime.h"
#include "fake_manager_api.h"
#include "history/history_repository.h"
#include "history/opus_packets.h"
#include "history_test_util.h"
#include "protocol/encoding.h"
#include "store/database.h"
#include "store/store.h"
#include "support/fake_openai.h"
#include "unit/store/store_test_util.h"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace xz::history;
using xz::core::Runtime;
using xz::core::Task;

namespace {

template <class T>
T run_on(asio::io_context& loop, Task<T> task) {
  return asio::co_spawn(loop, std::move(task), asio::use_future).get();
}

std::vector<StoredTurn> stored(const std::string& db_path, const std::string& device) {
  xz::store::Database db(db_path);
  return recent_turns(db, device, 100000);
}

// The turn the upload tests report: a question, one tool round and the answer.
TurnRecord weather_turn(std::vector<std::string> audio) {
  auto t = xz::test::sample_turn("aa:bb:cc:dd:ee:ff", "5f1c0d7e-session", 1754470000123, "what is the weather in Berlin",
                                 "It is sunny in Berlin.");
  t.tools = {{"get_weather", R"({"city":"Berlin"})", "sunny, 21 degrees", "REQLLM"}};
  t.first_frame_ms = 850;
  t.user_audio_opus = std::move(audio);
  return t;
}

HistorySettings upload_settings(const xz::test::FakeManagerApi& fake) {
  HistorySettings s;
  s.manager.url = fake.url();
  s.manager.secret = "s3cret";
  s.manager.retry_delay = 50ms;
  s.manager.max_retry_delay = 200ms;
  s.manager.max_retries = 3;
  s.manager.timeout = 5000ms;
  return s;
}

}  // namespace

TEST(ChatHistory, TurnsFromSeveralLoopsAreWrittenAndDrainWaitsForThem) {
  xz::test::TempDir dir;
  Runtime rt(2, 2);
  rt.start();
  const auto path = xz::store::database_path(dir.str());
  xz::store::Store store(rt.pool(), path);
  xz::core::Metrics metrics;
  HistorySettings s;
  s.store_audio = true;
  ChatHistory history(s, store, rt.pool(), &metrics);
  EXPECT_TRUE(history.enabled());
  EXPECT_TRUE(history.store_audio());

  const auto audio = xz::test::uplink_packets("turn on the light");
  constexpr int kPerLoop = 60;
  std::vector<std::future<void>> done;
  for (int loop = 0; loop < 2; ++loop) {
    done.push_back(asio::co_spawn(
        rt.loop(static_cast<std::size_t>(loop)),
        [&history, &audio, loop]() -> Task<void> {
          for (int i = 0; i < kPerLoop; ++i) {
            auto t = xz::test::sample_turn("dev-" + std::to_string(loop), "s", 1000 + i, "q" + std::to_string(i), "a");
            if (i % 10 == 0) t.user_audio_opus = audio;
            history.record(std::move(t));
          }
          co_return;
        },
        asio::use_future));
  }
  for (auto& f : done) f.get();
  run_on(rt.loop(1), history.drain());

  EXPECT_EQ(history.queued(), 0u);
  auto st = history.stats();
  EXPECT_EQ(st.written, 2u * kPerLoop);
  EXPECT_EQ(st.dropped, 0u);
  EXPECT_EQ(st.write_failed, 0u);
  for (int loop = 0; loop < 2; ++loop) {
    auto turns = stored(path, "dev-" + std::to_string(loop));
    ASSERT_EQ(turns.size(), static_cast<std::size_t>(kPerLoop));
    EXPECT_EQ(turns.front().turn.user_text, "q0");
    EXPECT_EQ(turns.back().turn.user_text, "q" + std::to_string(kPerLoop - 1));
    EXPECT_EQ(turns.front().audio_packets, audio.size());
    EXPECT_EQ(turns[1].audio_packets, 0u);
  }
  EXPECT_NE(metrics.render().find("xiaozhi_chat_history_turns_total{result=\"written\"} 120"), std::string::npos)
      << metrics.render();
  run_on(rt.loop(0), store.close());
}

TEST(ChatHistory, FullQueueDropsAudioFirstThenTurnsAndCountsBoth) {
  xz::test::TempDir dir;
  Runtime rt(1, 1);
  rt.start();
  const auto path = xz::store::database_path(dir.str());
  xz::store::Store store(rt.pool(), path);
  xz::core::Metrics metrics;
  const auto audio = xz::test::uplink_packets("please remember this");
  HistorySettings s;
  s.store_audio = true;
  s.queue_size = 3;
  s.queue_audio_bytes = packed_size(audio) + 10;  // room for one turn's audio
  ChatHistory history(s, store, rt.pool(), &metrics);

  // Hold the only worker so the writer cannot start: what happens is the intake alone.
  std::promise<void> gate;
  auto open = gate.get_future().share();
  asio::post(rt.pool(), [open] { open.wait(); });
  for (int i = 0; i < 6; ++i) {
    auto t = xz::test::sample_turn("dev", "s", 100 + i, "turn " + std::to_string(i), "a");
    t.user_audio_opus = audio;
    history.record(std::move(t));
  }
  EXPECT_EQ(history.queued(), 3u);
  auto st = history.stats();
  EXPECT_EQ(st.audio_dropped, 2u) << "turns 1 and 2 lose their audio to the budget";
  EXPECT_EQ(st.dropped, 3u) << "turns 3 to 5 find the queue full";
  EXPECT_NE(metrics.render().find("xiaozhi_chat_history_turns_total{result=\"dropped\"} 3"), std::string::npos);

  gate.set_value();
  run_on(rt.loop(0), history.drain());
  EXPECT_EQ(history.stats().written, 3u);
  auto turns = stored(path, "dev");
  ASSERT_EQ(turns.size(), 3u);
  EXPECT_EQ(turns[0].turn.user_text, "turn 0");
  EXPECT_EQ(turns[0].audio_packets, audio.size());
  EXPECT_EQ(turns[1].audio_packets, 0u);
  EXPECT_EQ(turns[2].turn.user_text, "turn 2");

  // With the queue empty again, new turns are taken.
  history.record(xz::test::sample_turn("dev", "s", 200, "later", "a"));
  run_on(rt.loop(0), history.drain());
  EXPECT_EQ(stored(path, "dev").size(), 4u);
  run_on(rt.loop(0), store.close());
}

TEST(ChatHistory, OversizedAudioIsDroppedButTheTurnKept) {
  xz::test::TempDir dir;
  Runtime rt(1, 1);
  rt.start();
  const auto path = xz::store::database_path(dir.str());
  xz::store::Store store(rt.pool(), path);
  HistorySettings s;
  s.store_audio = true;
  s.max_audio_bytes_per_turn = 100;
  ChatHistory history(s, store, rt.pool());
  auto t = xz::test::sample_turn("dev", "s", 1, "a long question", "a");
  t.user_audio_opus = xz::test::uplink_packets("a long question");
  history.record(std::move(t));
  run_on(rt.loop(0), history.drain());
  EXPECT_EQ(history.stats().audio_dropped, 1u);
  auto turns = stored(path, "dev");
  ASSERT_EQ(turns.size(), 1u);
  EXPECT_EQ(turns[0].audio_packets, 0u);
  run_on(rt.loop(0), store.close());
}

TEST(ChatHistory, DisabledHistoryRecordsNothing) {
  xz::test::TempDir dir;
  Runtime rt(1, 1);
  rt.start();
  const auto path = xz::store::database_path(dir.str());
  xz::store::Store store(rt.pool(), path);
  HistorySettings s;
  s.enabled = false;
  s.store_audio = true;
  ChatHistory history(s, store, rt.pool());
  EXPECT_FALSE(history.store_audio());
  history.record(xz::test::sample_turn("dev", "s", 1, "q", "a"));
  run_on(rt.loop(0), history.drain());
  EXPECT_EQ(history.stats().written, 0u);
  EXPECT_TRUE(stored(path, "dev").empty());
  run_on(rt.loop(0), store.close());
}

TEST(ChatHistory, StoreFailureIsCountedAndDrainStillCompletes) {
  xz::test::TempDir dir;
  Runtime rt(1, 1);
  rt.start();
  xz::store::Store store(rt.pool(), xz::store::database_path(dir.str()));
  ChatHistory history(HistorySettings{}, store, rt.pool());
  run_on(rt.loop(0), store.close());  // every later write fails
  history.record(xz::test::sample_turn("dev", "s", 1, "q", "a"));
  history.record(xz::test::sample_turn("", "s", 1, "no device", "a"));
  run_on(rt.loop(0), history.drain());
  EXPECT_EQ(history.stats().written, 0u);
  EXPECT_EQ(history.stats().write_failed, 2u);
}

TEST(ChatHistory, UploadsInTheReferenceFormatAndRetriesAfterA500) {
  xz::test::FakeManagerApi manager;
  manager.script({{500, R"({"code":500,"msg":"busy"})"}});
  xz::test::TempDir dir;
  Runtime rt(1, 2);
  rt.start();
  const auto path = xz::store::database_path(dir.str());
  xz::store::Store store(rt.pool(), path);
  auto s = upload_settings(manager);
  s.upload_audio = true;
  ChatHistory history(s, store, rt.pool());
  EXPECT_TRUE(history.store_audio()) << "audio is collected for the upload";

  const auto audio = xz::test::uplink_packets("what is the weather in Berlin");
  history.record(weather_turn(audio));
  run_on(rt.loop(0), history.drain());

  auto calls = manager.calls();
  ASSERT_EQ(calls.size(), 5u) << "4 reports, the first one twice";
  EXPECT_EQ(calls[0].body, calls[1].body) << "the retry sends the same report";
  for (const auto& c : calls) {
    EXPECT_EQ(c.path, "/xiaozhi/agent/chat-history/report");
    EXPECT_EQ(c.authorization, "Bearer s3cret");
    EXPECT_EQ(c.content_type, "application/json");
    ASSERT_TRUE(c.json.is_object()) << c.body;
    EXPECT_EQ(c.json["macAddress"], "aa:bb:cc:dd:ee:ff");
    EXPECT_EQ(c.json["sessionId"], "5f1c0d7e-session");
  }
  const auto& user = calls[1].json;
  EXPECT_EQ(user["chatType"], 1);
  EXPECT_EQ(user["content"], "what is the weather in Berlin");
  EXPECT_EQ(user["reportTime"], 1754470000123);
  ASSERT_TRUE(user["audioBase64"].is_string());
  auto wav = xz::protocol::base64_decode(user["audioBase64"].get<std::string>());
  ASSERT_TRUE(wav.has_value());
  auto parsed = xz::test::parse_wav(*wav);
  EXPECT_EQ(parsed.sample_rate, 16000);
  EXPECT_EQ(parsed.channels, 1);
  EXPECT_EQ(parsed.samples.size(), audio.size() * 960) << "every uplink packet decoded into the WAV";

  const auto& call = calls[2].json;
  EXPECT_EQ(call["chatType"], 3);
  auto call_content = nlohmann::json::parse(call["content"].get<std::string>());
  EXPECT_EQ(call_content, nlohmann::json::parse(R"json([{"type":"tool","text":"get_weather({\"city\":\"Berlin\"})"}])json"));
  EXPECT_TRUE(call["audioBase64"].is_null());

  const auto& result = calls[3].json;
  EXPECT_EQ(result["chatType"], 3);
  auto result_content = nlohmann::json::parse(result["content"].get<std::string>());
  ASSERT_EQ(result_content.size(), 1u);
  EXPECT_EQ(result_content[0]["type"], "tool_result");
  EXPECT_EQ(nlohmann::json::parse(result_content[0]["text"].get<std::string>())["result"], "sunny, 21 degrees");
  EXPECT_EQ(result["reportTime"].get<std::int64_t>(), call["reportTime"].get<std::int64_t>() + 1);

  const auto& agent = calls[4].json;
  EXPECT_EQ(agent["chatType"], 2);
  EXPECT_EQ(agent["content"], "It is sunny in Berlin.");
  EXPECT_EQ(agent["reportTime"], 1754470000123 + 850);
  EXPECT_TRUE(agent["audioBase64"].is_null());

  auto st = history.stats();
  EXPECT_EQ(st.reports_sent, 4u);
  EXPECT_EQ(st.reports_failed, 0u);
  auto turns = stored(path, "aa:bb:cc:dd:ee:ff");
  ASSERT_EQ(turns.size(), 1u);
  EXPECT_EQ(turns[0].audio_packets, 0u) << "store_audio is off: the audio was only uploaded";
  run_on(rt.loop(0), store.close());
}

TEST(ChatHistory, RejectedReportsAreNotRetried) {
  xz::test::FakeManagerApi manager;
  manager.script({{400, R"({"code":400,"msg":"bad request"})"}, {200, R"({"code":10041,"msg":"device not found"})"}});
  xz::test::TempDir dir;
  Runtime rt(1, 2);
  rt.start();
  xz::store::Store store(rt.pool(), xz::store::database_path(dir.str()));
  ChatHistory history(upload_settings(manager), store, rt.pool());
  history.record(xz::test::sample_turn("dev", "s", 5, "hello", "hi there"));
  run_on(rt.loop(0), history.drain());
  EXPECT_EQ(manager.calls().size(), 2u);
  EXPECT_EQ(history.stats().reports_failed, 2u);
  EXPECT_EQ(history.stats().reports_sent, 0u);
  EXPECT_EQ(history.stats().written, 1u) << "the database write does not depend on the upload";
  run_on(rt.loop(0), store.close());
}

TEST(ChatHistory, RetriesStopAfterMaxRetries) {
  xz::test::FakeManagerApi manager;
  manager.set_fallback({503, "unavailable"});
  xz::test::TempDir dir;
  Runtime rt(1, 2);
  rt.start();
  xz::store::Store store(rt.pool(), xz::store::database_path(dir.str()));
  auto s = upload_settings(manager);
  s.manager.max_retries = 2;
  ChatHistory history(s, store, rt.pool());
  auto t = xz::test::sample_turn("dev", "s", 5, "hello", "");
  history.record(std::move(t));
  run_on(rt.loop(0), history.drain());
  EXPECT_EQ(manager.calls().size(), 3u) << "one attempt and two retries";
  EXPECT_EQ(history.stats().reports_failed, 1u);
  run_on(rt.loop(0), store.close());
}

TEST(ChatHistory, DrainGivesUpLongRetriesAfterItsGrace) {
  xz::test::FakeManagerApi manager;
  manager.set_fallback({503, "unavailable"});
  xz::test::TempDir dir;
  Runtime rt(1, 2);
  rt.start();
  xz::store::Store store(rt.pool(), xz::store::database_path(dir.str()));
  auto s = upload_settings(manager);
  s.manager.retry_delay = 30s;
  s.manager.max_retry_delay = 60s;
  s.manager.max_retries = 6;
  s.drain_upload_grace = 300ms;
  ChatHistory history(s, store, rt.pool());
  history.record(xz::test::sample_turn("dev", "s", 5, "hello", "hi"));
  auto t0 = std::chrono::steady_clock::now();
  run_on(rt.loop(0), history.drain());
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 5s) << "shutdown does not wait out 30 s back-offs";
  EXPECT_EQ(history.stats().reports_failed, 2u);
  EXPECT_EQ(manager.calls().size(), 2u) << "each report was tried once";
  EXPECT_EQ(history.stats().written, 1u);
  run_on(rt.loop(0), store.close());
}
