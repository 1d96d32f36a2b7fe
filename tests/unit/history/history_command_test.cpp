// The `history` command: the formatting of stored turns, and the command itself run
// in-process against a database in a temporary data directory.
#include <iostream>
#include <sstream>

#include <gtest/gtest.h>

#include "apps/commands.h"
#include "history/history_format.h"
#include "history/history_repository.h"
#include "history_test_util.h"
#include "store/migrations.h"
#include "store/store.h"
#include "unit/store/store_test_util.h"

using namespace xz::history;

namespace {

// Captures what a command prints on stdout and stderr.
struct Captured {
  int code = 0;
  std::string out, err;
};

Captured run(const std::string& data_dir, std::vector<std::string> command) {
  xz::core::Config cfg(nlohmann::json{{"log", {{"data_dir", data_dir}}}});
  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  Captured c;
  try {
    c.code = xz::apps::run_command(cfg, command);
  } catch (...) {
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    throw;
  }
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  c.out = out.str();
  c.err = err.str();
  return c;
}

std::vector<StoredTurn> two_sessions() {
  std::vector<StoredTurn> turns(3);
  turns[0].turn = xz::test::sample_turn("dev", "s-1", 1714550400000, "", "Hi, I'm XiaoZhi.");  // 2024-05-01 08:00:00 UTC
  turns[0].turn.kind = "greeting";
  turns[1].turn = xz::test::sample_turn("dev", "s-1", 1714550405000, "what's the weather\nin Berlin", "Sunny, 21 degrees.");
  turns[1].turn.tools = {{"get_weather", R"({"city":"Berlin"})", "sunny 21", "REQLLM"}};
  turns[1].turn.asr_ms = 120.4;
  turns[1].turn.llm_first_token_ms = 380;
  turns[1].turn.first_frame_ms = 910.6;
  turns[1].audio_packets = 25;
  turns[1].audio_bytes = 2100;
  turns[2].turn = xz::test::sample_turn("dev", "s-2", 1714554000000, "stop", "OK, I");
  turns[2].turn.kind = "typed";
  turns[2].turn.interrupted = true;
  return turns;
}

}  // namespace

TEST(HistoryFormat, SessionsRolesToolsTimingsAndAudioAreShown) {
  HistoryFormatOptions opts;
  opts.utc_offset_minutes = 0;
  auto text = format_history("dev", two_sessions(), opts);
  const std::string expected =
      "chat history of device dev: 3 turn(s), oldest first\n"
      "\n"
      "== session s-1 ==\n"
      "2024-05-01 08:00:00  assistant (greeting) Hi, I'm XiaoZhi.\n"
      "2024-05-01 08:00:05  user                 what's the weather\n"
      "                                          in Berlin\n"
      "                     tool call            get_weather({\"city\":\"Berlin\"})\n"
      "                     tool done            [REQLLM] sunny 21\n"
      "                     assistant            Sunny, 21 degrees.\n"
      "                     timings              asr 120 ms, llm first token 380 ms, first frame 911 ms\n"
      "                     audio                25 Opus packets, 2100 bytes\n"
      "\n"
      "== session s-2 ==\n"
      "2024-05-01 09:00:00  user (typed)         stop\n"
      "                     assistant            OK, I [interrupted]\n";
  EXPECT_EQ(text, expected);
}

TEST(HistoryFormat, TimeZoneOffsetAndEmptyHistory) {
  HistoryFormatOptions opts;
  opts.utc_offset_minutes = 8 * 60;
  auto text = format_history("dev", two_sessions(), opts);
  EXPECT_NE(text.find("2024-05-01 16:00:05"), std::string::npos) << text;
  EXPECT_EQ(format_history("dev", {}), "no chat history for device dev\n");
}

TEST(HistoryFormat, LongToolTextIsShortenedWithoutSplittingCharacters) {
  std::vector<StoredTurn> turns(1);
  turns[0].turn = xz::test::sample_turn("dev", "s", 0, "q", "a");
  std::string result;
  for (int i = 0; i < 200; ++i) result += "天";
  turns[0].turn.tools = {{"t", "{}", result, ""}};
  HistoryFormatOptions opts;
  opts.utc_offset_minutes = 0;
  opts.max_tool_text = 100;
  auto text = format_history("dev", turns, opts);
  auto at = text.find("tool done");
  ASSERT_NE(at, std::string::npos);
  auto line = text.substr(at, text.find('\n', at) - at);
  EXPECT_NE(line.find("天..."), std::string::npos) << line;
  EXPECT_LT(line.size(), 140u);
}

TEST(HistoryCommand, PrintsTheNewestTurnsOfADevice) {
  xz::test::TempDir dir;
  {
    xz::store::Database db(xz::store::database_path(dir.str()));
    xz::store::migrate(db);
    std::vector<TurnRecord> turns;
    for (int i = 0; i < 5; ++i)
      turns.push_back(
          xz::test::sample_turn("aa:bb:cc:dd:ee:ff", "s", 1714550400000 + i * 1000, "question " + std::to_string(i),
                                "answer " + std::to_string(i)));
    HistoryRepository(db).insert(turns, 100);
  }
  // A MAC typed with dashes and upper case finds the session's normalised id.
  auto c = run(dir.str(), {"history", "AA-BB-CC-DD-EE-FF", "--limit", "2"});
  EXPECT_EQ(c.code, 0) << c.err;
  EXPECT_NE(c.out.find("chat history of device aa:bb:cc:dd:ee:ff: 2 turn(s)"), std::string::npos) << c.out;
  EXPECT_EQ(c.out.find("question 2"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("question 3"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("answer 4"), std::string::npos) << c.out;
  EXPECT_LT(c.out.find("question 3"), c.out.find("question 4")) << "oldest first";

  auto all = run(dir.str(), {"history", "aa:bb:cc:dd:ee:ff", "--limit=50"});
  EXPECT_EQ(all.code, 0);
  EXPECT_NE(all.out.find("5 turn(s)"), std::string::npos) << all.out;

  auto none = run(dir.str(), {"history", "other-device"});
  EXPECT_EQ(none.code, 0);
  EXPECT_EQ(none.out, "no chat history for device other-device\n");
}

TEST(HistoryCommand, UsageErrorsAndAMissingDatabase) {
  xz::test::TempDir dir;
  EXPECT_EQ(run(dir.str(), {"history"}).code, 2);
  auto bad = run(dir.str(), {"history", "dev", "--limit", "0"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--limit"), std::string::npos) << bad.err;
  EXPECT_EQ(run(dir.str(), {"history", "dev", "--limit"}).code, 2);
  EXPECT_EQ(run(dir.str(), {"history", "dev", "--since", "1"}).code, 2);
  EXPECT_EQ(run(dir.str(), {"history", "a", "b"}).code, 2);

  auto missing = run(dir.file("nowhere"), {"history", "dev"});
  EXPECT_EQ(missing.code, 0);
  EXPECT_NE(missing.out.find("no chat history yet"), std::string::npos) << missing.out;
}
