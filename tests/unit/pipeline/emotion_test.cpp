#include <set>
#include <string>

#include <gtest/gtest.h>

#include "pipeline/dialogue.h"
#include "pipeline/emotion.h"

using namespace xz::pipeline;

TEST(Emotion, TableIsTheReferenceMapInFirmwareOrder) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"neutral", "😶"}, {"happy", "🙂"},     {"laughing", "😆"},  {"funny", "😂"},     {"sad", "😔"},
      {"angry", "😠"},   {"crying", "😭"},    {"loving", "😍"},    {"embarrassed", "😳"}, {"surprised", "😲"},
      {"shocked", "😱"}, {"thinking", "🤔"},  {"winking", "😉"},   {"cool", "😎"},      {"relaxed", "😌"},
      {"delicious", "🤤"}, {"kissy", "😘"},   {"confident", "😏"}, {"sleepy", "😴"},    {"silly", "😜"},
      {"confused", "🙄"}};
  const auto table = emotion_table();
  ASSERT_EQ(table.size(), expected.size());
  for (std::size_t k = 0; k < table.size(); ++k) {
    EXPECT_EQ(table[k].name, expected[k].first);
    EXPECT_EQ(table[k].emoji, expected[k].second);
  }
}

TEST(Emotion, EveryMappedEmojiIsDetectedInsideText) {
  for (const auto& e : emotion_table()) {
    const auto got = detect_emotion("好的，" + std::string(e.emoji) + " 我们开始吧");
    EXPECT_EQ(got.name, e.name);
    EXPECT_EQ(got.emoji, e.emoji);
  }
}

TEST(Emotion, FirstMappedEmojiInTextOrderWins) {
  EXPECT_EQ(detect_emotion("哈哈😂真好笑😭").name, "funny");
  EXPECT_EQ(detect_emotion("🎉 party 🤔 hmm").name, "thinking") << "unmapped emoji are skipped";
}

TEST(Emotion, DefaultsToHappy) {
  const auto none = detect_emotion("no emoji here");
  EXPECT_EQ(none.name, "happy");
  EXPECT_EQ(none.emoji, "🙂");
  EXPECT_EQ(detect_emotion("").name, "happy");
  EXPECT_EQ(detect_emotion("\xF0\x9F").name, "happy") << "a cut-off sequence is not an emoji";
}

TEST(Emotion, PromptListNamesEveryEmotion) {
  const auto list = emotion_list_for_prompt();
  for (const auto& e : emotion_table()) {
    EXPECT_NE(list.find(std::string(e.emoji) + " " + std::string(e.name)), std::string::npos) << e.name;
  }
  EXPECT_EQ(list.rfind("😶 neutral, 🙂 happy", 0), 0u);
}

// What the LLM is told when SenseVoice heard an emotion: the reference's json.dumps
// (ensure_ascii=False) of {"content", "language", "emotion"} with the emotion's emoji.
TEST(UserMessageWithEmotion, IsTheReferencesJsonText) {
  EXPECT_EQ(user_message_with_emotion("你好", "zh", "HAPPY"),
            R"({"content": "你好", "language": "zh", "emotion": "🙂"})");
  EXPECT_EQ(user_message_with_emotion("say \"hi\"", "", "NEUTRAL"),
            R"({"content": "say \"hi\"", "language": "zh", "emotion": "😶"})");
  EXPECT_EQ(user_message_with_emotion("ok", "en", "BORED"), R"({"content": "ok", "language": "en", "emotion": "BORED"})");
  // Broken UTF-8 from an engine costs a replacement character, not the turn.
  EXPECT_EQ(user_message_with_emotion("a\xff", "en", "SAD"), "{\"content\": \"a\xef\xbf\xbd\", \"language\": \"en\", \"emotion\": \"😔\"}");
}

