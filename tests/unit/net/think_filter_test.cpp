#include "providers/llm/think_filter.h"

#include <gtest/gtest.h>

using xz::providers::ThinkFilter;

namespace {

std::string run(const std::vector<std::string>& deltas) {
  ThinkFilter f;
  std::string out;
  for (const auto& d : deltas) out += f.feed(d);
  return out + f.finish();
}

// Every delta boundary placement of a two-piece split gives the same output.
void expect_split_invariant(const std::string& text, const std::string& expected) {
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    EXPECT_EQ(run({text.substr(0, cut), text.substr(cut)}), expected) << "cut at " << cut;
  }
  std::vector<std::string> bytes;
  for (char c : text) bytes.emplace_back(1, c);
  EXPECT_EQ(run(bytes), expected) << "byte by byte";
}

}  // namespace

TEST(ThinkFilter, PlainTextPassesThroughImmediately) {
  ThinkFilter f;
  EXPECT_EQ(f.feed("Hello"), "Hello");
  EXPECT_EQ(f.feed(", world."), ", world.");
  EXPECT_EQ(f.finish(), "");
}

TEST(ThinkFilter, RemovesAThinkBlockAndTheBlankLinesAfterIt) {
  EXPECT_EQ(run({"<think>The user greets me.\nI should greet back.</think>\n\nHello!"}), "Hello!");
}

TEST(ThinkFilter, TagsSplitAnywhere) {
  expect_split_invariant("<think>plan a b c</think>\n\nHi there. <think>more</think>Bye.", "Hi there. Bye.");
  expect_split_invariant("Before <think>x</think>after", "Before after");
}

TEST(ThinkFilter, HoldsBackOnlyWhatCouldStartATag) {
  ThinkFilter f;
  EXPECT_EQ(f.feed("a < b and <th"), "a < b and ");  // "<th" may become <think>
  EXPECT_EQ(f.feed("ree"), "<three");                 // it did not
  EXPECT_EQ(f.feed("x <"), "x ");
  EXPECT_EQ(f.finish(), "<");  // end of answer: the held "<" was just text
}

TEST(ThinkFilter, UnclosedThinkBlockIsDropped) {
  ThinkFilter f;
  EXPECT_EQ(f.feed("Answer. <think>never closed"), "Answer. ");
  EXPECT_TRUE(f.inside_think());
  EXPECT_EQ(f.feed(" still thinking </thi"), "");
  EXPECT_EQ(f.finish(), "");
}

TEST(ThinkFilter, ChineseTextAroundTags) {
  expect_split_invariant("<think>用户在打招呼</think>你好！今天过得怎么样？", "你好！今天过得怎么样？");
}
