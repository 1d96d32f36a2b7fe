#include "history/manager_report.h"

#include <gtest/gtest.h>

#include "history_test_util.h"
#include "support/fake_openai.h"

using namespace xz::history;
using nlohmann::json;

TEST(ManagerReport, OneTurnBecomesUserToolCallToolResultAgentInTimeOrder) {
  auto t = xz::test::sample_turn("aa:bb:cc:dd:ee:ff", "sid", 1000, "play some jazz", "Playing jazz.");
  t.tools = {{"play_music", R"({"song_name":"jazz"})", "playing jazz.mp3", "RESPONSE"}, {"get_time", "", "12:00", ""}};
  auto reports = reports_for_turn(t);
  ASSERT_EQ(reports.size(), 6u);
  std::vector<ChatType> types;
  for (const auto& r : reports) types.push_back(r.chat_type);
  EXPECT_EQ(types, (std::vector<ChatType>{ChatType::user, ChatType::tool, ChatType::tool, ChatType::tool, ChatType::tool,
                                          ChatType::agent}));
  EXPECT_EQ(reports[0].report_time_ms, 1000);
  for (std::size_t i = 1; i < reports.size(); ++i)
    EXPECT_GT(reports[i].report_time_ms, reports[i - 1].report_time_ms) << i;
  EXPECT_EQ(json::parse(reports[1].content)[0]["text"], R"(play_music({"song_name":"jazz"}))");
  EXPECT_EQ(json::parse(reports[3].content)[0]["text"], "get_time({})") << "no arguments reads as {}";
  auto result = json::parse(json::parse(reports[2].content)[0]["text"].get<std::string>());
  EXPECT_EQ(result["result"], "playing jazz.mp3");
  EXPECT_EQ(result["action"], "RESPONSE");
  for (const auto& r : reports) {
    EXPECT_EQ(r.mac_address, "aa:bb:cc:dd:ee:ff");
    EXPECT_EQ(r.session_id, "sid");
  }
}

TEST(ManagerReport, GreetingHasOnlyTheAgentAndEmptyTextsAreSkipped) {
  TurnRecord t;
  t.device_id = "dev";
  t.session_id = "s";
  t.started_ms = 42;
  t.kind = "greeting";
  t.assistant_text = "Hello, I'm XiaoZhi.";
  auto reports = reports_for_turn(t);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].chat_type, ChatType::agent);
  EXPECT_EQ(reports[0].report_time_ms, 42);

  t.assistant_text.clear();
  EXPECT_TRUE(reports_for_turn(t).empty());
}

TEST(ManagerReport, BodyHasTheReferenceFields) {
  ManagerReport r{"aa:bb:cc:dd:ee:ff", "sid", ChatType::user, "你好", 1754470000123, std::nullopt};
  auto body = json::parse(report_body(r));
  EXPECT_EQ(body, json::parse(R"({"macAddress":"aa:bb:cc:dd:ee:ff","sessionId":"sid","chatType":1,
                                  "content":"你好","reportTime":1754470000123,"audioBase64":null})"));
  r.audio_wav = std::string("RIFF\0\0", 6);
  EXPECT_EQ(json::parse(report_body(r))["audioBase64"], "UklGRgAA");
  r.content = std::string("cut \xe4\xbd", 6);  // a transcript cut inside a character
  EXPECT_NO_THROW(json::parse(report_body(r)));
}

TEST(ManagerReport, UplinkPacketsBecomeA16kWav) {
  auto packets = xz::test::uplink_packets("good morning");
  auto wav = opus_packets_to_wav(packets);
  ASSERT_TRUE(wav.has_value());
  auto parsed = xz::test::parse_wav(*wav);
  EXPECT_EQ(parsed.sample_rate, 16000);
  EXPECT_EQ(parsed.samples.size(), packets.size() * 960);
  double energy = 0;
  for (auto s : parsed.samples) energy += static_cast<double>(s) * s;
  EXPECT_GT(energy / static_cast<double>(parsed.samples.size()), 1000.0) << "speech, not silence";

  auto with_junk = packets;
  with_junk.insert(with_junk.begin() + 3, std::string("\xff\xff\xff\xff\xff", 5));
  auto wav2 = opus_packets_to_wav(with_junk);
  ASSERT_TRUE(wav2.has_value());
  EXPECT_EQ(xz::test::parse_wav(*wav2).samples.size(), packets.size() * 960) << "the corrupt packet is skipped";

  EXPECT_FALSE(opus_packets_to_wav({std::string("\xff\xff\xff\xff\xff", 5)}).has_value());
  EXPECT_FALSE(opus_packets_to_wav({}).has_value());
}
