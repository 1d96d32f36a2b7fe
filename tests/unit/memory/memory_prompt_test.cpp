#include "memory/memory_prompt.h"

#include <gtest/gtest.h>

using namespace xz::memory;
using xz::providers::ChatMessage;
using xz::providers::ToolCall;

namespace {

ChatMessage msg(std::string role, std::string content) {
  ChatMessage m;
  m.role = std::move(role);
  m.content = std::move(content);
  return m;
}

}  // namespace

TEST(MemoryPrompt, BlockIsEmptyForNoMemoryAndTaggedOtherwise) {
  EXPECT_EQ(memory_prompt_block(""), "");
  EXPECT_EQ(memory_prompt_block("  \n "), "");
  EXPECT_EQ(memory_prompt_block("The user is called Anna.\n"), "\n\n<memory>\nThe user is called Anna.\n</memory>");
}

TEST(MemoryPrompt, OnlyDialoguesWithSomethingTheUserSaidCount) {
  EXPECT_FALSE(has_user_message({msg("system", "You are XiaoZhi."), msg("assistant", "Hello!")}));
  EXPECT_FALSE(has_user_message({msg("user", "   ")}));
  EXPECT_TRUE(has_user_message({msg("assistant", "Hello!"), msg("user", "hi")}));
}

TEST(MemoryPrompt, TranscriptLeavesOutSystemAndShowsToolsOnOneLineEach) {
  auto call = msg("assistant", "");
  call.tool_calls = {ToolCall{"call_1", "get_weather", R"({"city":"Berlin"})"}};
  auto result = msg("tool", "sunny,\n21 degrees");
  result.tool_call_id = "call_1";
  auto text = dialogue_transcript({msg("system", "SECRET PERSONA"), msg("user", "weather in\nBerlin?"), call, result,
                                   msg("assistant", "It is sunny.")},
                                  10000);
  EXPECT_EQ(text,
            "User: weather in Berlin?\n"
            "Assistant used tool get_weather({\"city\":\"Berlin\"})\n"
            "Tool result: sunny, 21 degrees\n"
            "Assistant: It is sunny.\n");
}

TEST(MemoryPrompt, LongTranscriptKeepsTheNewestLines) {
  std::vector<ChatMessage> dialogue;
  for (int i = 0; i < 100; ++i) dialogue.push_back(msg("user", "message number " + std::to_string(i)));
  auto text = dialogue_transcript(dialogue, 200);
  EXPECT_LE(utf8_length(text), 200u + 64u);
  EXPECT_NE(text.find("message number 99\n"), std::string::npos);
  EXPECT_EQ(text.find("message number 0\n"), std::string::npos);
  EXPECT_EQ(text.rfind("(", 0), 0u) << "it says that lines were left out: " << text;
}

TEST(MemoryPrompt, RequestMergesThePreviousMemoryWithTheDialogue) {
  SummaryPromptOptions o;
  o.max_chars = 700;
  o.temperature = 0.1;
  o.max_tokens = 900;
  o.today = "2024-05-01 (Wednesday)";
  auto req = summary_request("- The user is called Anna.", {msg("system", "persona"), msg("user", "I like tea")}, o);
  ASSERT_EQ(req.messages.size(), 2u);
  EXPECT_EQ(req.messages[0].role, "system");
  EXPECT_NE(req.messages[0].content.find("700 characters"), std::string::npos);
  EXPECT_NE(req.messages[0].content.find("language the user speaks"), std::string::npos);
  EXPECT_EQ(req.messages[1].role, "user");
  const auto& u = req.messages[1].content;
  EXPECT_NE(u.find("Today: 2024-05-01 (Wednesday)"), std::string::npos);
  EXPECT_NE(u.find("Current memory:\n- The user is called Anna."), std::string::npos) << u;
  EXPECT_NE(u.find("New conversation:\nUser: I like tea\n"), std::string::npos) << u;
  EXPECT_EQ(u.find("persona"), std::string::npos);
  EXPECT_EQ(req.temperature, 0.1);
  EXPECT_EQ(req.max_tokens, 900);
  EXPECT_TRUE(req.tools.empty());

  auto first = summary_request("", {msg("user", "hi")}, o);
  EXPECT_NE(first.messages[1].content.find("Current memory:\n(empty)"), std::string::npos);
}

TEST(MemoryPrompt, CleanSummaryStripsThinkingFencesAndTags) {
  EXPECT_EQ(clean_summary("<think>the user said tea...</think>\n\n- Likes tea.\n", 100), "- Likes tea.");
  EXPECT_EQ(clean_summary("```\n- Likes tea.\n```", 100), "- Likes tea.");
  EXPECT_EQ(clean_summary("```text\n- Likes tea.\n```\n", 100), "- Likes tea.");
  EXPECT_EQ(clean_summary("<memory>\n- Likes tea.\n</memory>", 100), "- Likes tea.");
  EXPECT_EQ(clean_summary("<think>only thoughts", 100), "");
  EXPECT_EQ(clean_summary("   ", 100), "");
}

TEST(MemoryPrompt, CleanSummaryCutsByCharactersAtANoteWhenOneIsNear) {
  std::string chinese;
  for (int i = 0; i < 50; ++i) chinese += "喜";
  auto cut = clean_summary(chinese, 20);
  EXPECT_EQ(utf8_length(cut), 20u);
  EXPECT_EQ(cut.size(), 60u) << "three bytes per character, none split";

  std::string notes = "- note one is here\n- note two is here\n- note three is here";
  auto n = clean_summary(notes, 40);
  EXPECT_EQ(n, "- note one is here\n- note two is here") << "cut at the end of a whole note";
}

TEST(MemoryPrompt, Utf8Helpers) {
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("你好"), 2u);
  EXPECT_EQ(utf8_prefix("你好吗", 2), "你好");
  EXPECT_EQ(utf8_prefix("ab", 5), "ab");
  EXPECT_EQ(utf8_prefix("ab", 0), "");
}
