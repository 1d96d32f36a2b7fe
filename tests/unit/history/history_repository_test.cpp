#include "history/history_repository.h"

#include <gtest/gtest.h>

#include "history_test_util.h"
#include "store/migrations.h"
#include "unit/store/store_test_util.h"

using namespace xz::history;
using xz::store::Database;

namespace {

struct Fixture {
  xz::test::TempDir dir;
  Database db{dir.file("history.db")};
  HistoryRepository repo{db};
  Fixture() { xz::store::migrate(db); }

  std::int64_t rows(const std::string& table) {
    auto st = db.prepare("SELECT COUNT(*) FROM " + table);
    st.step();
    return st.int64(0);
  }
};

}  // namespace

TEST(HistoryRepository, TurnsComeBackWithToolsTimingsAndAudio) {
  Fixture f;
  auto audio = xz::test::uplink_packets("what is the weather in Berlin");
  auto t = xz::test::sample_turn("aa:bb:cc:dd:ee:ff", "sess-1", 1714550000123, "what is the weather in Berlin",
                                 "It is sunny and 21 degrees.");
  t.tools = {{"get_weather", R"({"city":"Berlin"})", R"({"temp":21})", "REQLLM"},
             {"get_time", "{}", "12:00", "RESPONSE"}};
  t.asr_ms = 123.456;
  t.llm_first_token_ms = 402.0;
  t.tts_first_audio_ms = 650.25;
  t.first_frame_ms = std::nullopt;
  t.interrupted = true;
  t.user_audio_opus = audio;
  f.repo.insert(std::vector<TurnRecord>{t}, 1000);

  auto got = f.repo.recent("aa:bb:cc:dd:ee:ff", 10);
  ASSERT_EQ(got.size(), 1u);
  const auto& r = got[0].turn;
  EXPECT_EQ(r.device_id, t.device_id);
  EXPECT_EQ(r.session_id, "sess-1");
  EXPECT_EQ(r.started_ms, 1714550000123);
  EXPECT_EQ(r.kind, "user");
  EXPECT_EQ(r.user_text, t.user_text);
  EXPECT_EQ(r.assistant_text, t.assistant_text);
  EXPECT_TRUE(r.interrupted);
  ASSERT_EQ(r.tools.size(), 2u);
  EXPECT_EQ(r.tools[0].name, "get_weather");
  EXPECT_EQ(r.tools[0].arguments, R"({"city":"Berlin"})");
  EXPECT_EQ(r.tools[0].result, R"({"temp":21})");
  EXPECT_EQ(r.tools[0].action, "REQLLM");
  EXPECT_EQ(r.tools[1].name, "get_time");
  ASSERT_TRUE(r.asr_ms.has_value());
  EXPECT_NEAR(*r.asr_ms, 123.456, 0.001);
  EXPECT_NEAR(r.llm_first_token_ms.value_or(-1), 402.0, 0.001);
  EXPECT_NEAR(r.tts_first_audio_ms.value_or(-1), 650.25, 0.001);
  EXPECT_FALSE(r.first_frame_ms.has_value());
  EXPECT_TRUE(r.user_audio_opus.empty()) << "listing does not load audio";
  EXPECT_EQ(got[0].audio_packets, audio.size());
  std::size_t bytes = 0;
  for (const auto& p : audio) bytes += p.size();
  EXPECT_EQ(got[0].audio_bytes, bytes);

  EXPECT_EQ(f.repo.audio(got[0].id), audio) << "the stored audio is the uplink packets, byte for byte";
}

TEST(HistoryRepository, RecentIsTheNewestTurnsOldestFirstPerDevice) {
  Fixture f;
  std::vector<TurnRecord> turns;
  for (int i = 0; i < 5; ++i)
    turns.push_back(xz::test::sample_turn("dev-a", "s", 1000 + i, "question " + std::to_string(i), "answer"));
  turns.push_back(xz::test::sample_turn("dev-b", "s", 5000, "other device", "answer"));
  f.repo.insert(turns, 0);

  auto got = f.repo.recent("dev-a", 3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].turn.user_text, "question 2");
  EXPECT_EQ(got[2].turn.user_text, "question 4");
  EXPECT_EQ(recent_turns(f.db, "dev-b", 10).size(), 1u);
  EXPECT_TRUE(f.repo.recent("dev-c", 10).empty());
}

TEST(HistoryRepository, RetentionKeepsTheNewestTurnsOfEachDeviceAndTheirRowsGoToo) {
  Fixture f;
  auto audio = xz::test::uplink_packets("hello");
  for (int i = 0; i < 7; ++i) {
    auto t = xz::test::sample_turn("dev-a", "s", 1000 + i, "q" + std::to_string(i), "a");
    t.tools = {{"tool", "{}", "r", "NONE"}};
    t.user_audio_opus = audio;
    f.repo.insert(std::vector<TurnRecord>{t}, 4);
  }
  f.repo.insert(std::vector<TurnRecord>{xz::test::sample_turn("dev-b", "s", 1, "b", "a")}, 4);
  EXPECT_EQ(f.repo.count("dev-a"), 4u);
  EXPECT_EQ(f.repo.count("dev-b"), 1u);
  auto got = f.repo.recent("dev-a", 100);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got.front().turn.user_text, "q3");
  EXPECT_EQ(got.back().turn.user_text, "q6");
  EXPECT_EQ(f.rows("chat_tool_calls"), 4) << "tool rows of deleted turns are deleted with them";
  EXPECT_EQ(f.rows("chat_turn_audio"), 4);
}

TEST(HistoryRepository, AudioCanBeLeftOut) {
  Fixture f;
  auto t = xz::test::sample_turn("dev", "s", 1, "hi", "hello");
  t.user_audio_opus = xz::test::uplink_packets("hi");
  f.repo.insert(std::vector<TurnRecord>{t}, 10, /*with_audio=*/false);
  auto got = f.repo.recent("dev", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].audio_packets, 0u);
  EXPECT_TRUE(f.repo.audio(got[0].id).empty());
}

TEST(HistoryRepository, ABadTurnWritesNothingOfItsBatch) {
  Fixture f;
  std::vector<TurnRecord> turns = {xz::test::sample_turn("dev", "s", 1, "ok", "ok"),
                                   xz::test::sample_turn("", "s", 2, "no device", "x")};
  EXPECT_THROW(f.repo.insert(turns, 10), std::invalid_argument);
  EXPECT_EQ(f.repo.count("dev"), 0u);
}

TEST(HistoryRepository, TextWithQuotesAndUnicodeIsStoredExactly) {
  Fixture f;
  auto t = xz::test::sample_turn("dev", "s", 1, "it's \"quoted\"; DROP TABLE chat_turns; --", "你好，小智 😀");
  f.repo.insert(std::vector<TurnRecord>{t}, 10);
  auto got = f.repo.recent("dev", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].turn.user_text, t.user_text);
  EXPECT_EQ(got[0].turn.assistant_text, t.assistant_text);
}
