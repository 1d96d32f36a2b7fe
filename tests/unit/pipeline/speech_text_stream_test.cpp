// The text a dual-stream engine gets: cleaned like a whole segment, released early.
#include "pipeline/speech_text_stream.h"

#include <random>

#include <gtest/gtest.h>

using xz::pipeline::ReplacementWords;
using xz::pipeline::SpeechTextStream;

namespace {

// Feeds `text` in the given pieces; returns every release and the joined text.
std::vector<std::string> releases(SpeechTextStream& s, const std::vector<std::string>& pieces) {
  std::vector<std::string> out;
  for (const auto& p : pieces) out.push_back(s.push(p));
  out.push_back(s.finish());
  return out;
}

std::string joined(const std::vector<std::string>& r) {
  std::string out;
  for (const auto& x : r) out += x;
  return out;
}

std::vector<std::string> chars_of(const std::string& s, std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < s.size(); i += n) out.push_back(s.substr(i, n));
  return out;
}

}  // namespace

TEST(SpeechTextStream, WordsLeaveBeforeTheSentenceEnds) {
  SpeechTextStream s;
  EXPECT_EQ(s.push("This is a very"), "This is a ");
  EXPECT_EQ(s.push(" long sen"), "very long ");
  EXPECT_EQ(s.push("tence."), "");
  EXPECT_EQ(s.finish(), "sentence.");
}

TEST(SpeechTextStream, ChineseLeavesCharacterByCharacter) {
  SpeechTextStream s;
  EXPECT_EQ(s.push("今天天气"), "今天天气");
  EXPECT_EQ(s.push("很好，"), "很好，");
  EXPECT_EQ(s.push("\xe6\x88"), "");  // half of 我
  EXPECT_EQ(s.push("\x91们"), "我们");
  EXPECT_EQ(s.finish(), "");
}

TEST(SpeechTextStream, UnclosedMarkupWaitsAndIsCleaned) {
  SpeechTextStream s;
  EXPECT_EQ(s.push("Say **hello "), "Say ");
  EXPECT_EQ(s.push("there** to [the"), "hello there to ");
  EXPECT_EQ(s.push(" docs](https://x.org/a) now "), "the docs now ");
  EXPECT_EQ(s.finish(), "");
}

TEST(SpeechTextStream, CodeBlocksHeadingsListsAndTablesAreNotSpoken) {
  const std::string text =
      "# Title\n"
      "Here is code:\n"
      "```python\nprint('x')\n```\n"
      "- first item\n"
      "| a | b |\n|---|---|\n| 1 | 2 |\n"
      "Done 😀 now.";
  for (std::size_t n : {1u, 3u, 7u, 100u}) {
    SpeechTextStream s;
    EXPECT_EQ(joined(releases(s, chars_of(text, n))), xz::pipeline::for_subtitle(text)) << "pieces of " << n;
  }
}

TEST(SpeechTextStream, ChineseLinesJoinWithoutSpaces) {
  SpeechTextStream s;
  EXPECT_EQ(joined(releases(s, {"第一行。\n", "第二行。"})), "第一行。第二行。");
}

TEST(SpeechTextStream, ReplacementWordsApplyAcrossFragments) {
  const std::vector<std::string> entries = {"小智|小志", "AI|人工智能"};
  ReplacementWords words(entries);
  SpeechTextStream s(&words);
  std::string out = s.push("我是小");
  EXPECT_EQ(out, "我是");  // "小" may be the start of 小智
  out += s.push("智，我懂A");
  out += s.push("I。");
  out += s.finish();
  EXPECT_EQ(out, "我是小志，我懂人工智能。");
}

TEST(SpeechTextStream, AnySplitGivesTheSameSpeechAsTheWholeText) {
  const std::string text =
      "Hello **world**, this is `code` and a [link](http://a.b/c).\n\n"
      "第二段：我们*一起*去公园吧！然后 go home.\n> quoted line\n1. numbered";
  const std::string expect = xz::pipeline::for_subtitle(text);
  EXPECT_EQ(expect, "Hello world, this is code and a link.第二段：我们一起去公园吧！然后 go home. quoted line 1. numbered");
  SpeechTextStream whole;
  EXPECT_EQ(joined(releases(whole, {text})), expect);
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string> pieces;
    for (std::size_t i = 0; i < text.size();) {
      std::size_t n = 1 + rng() % 9;
      pieces.push_back(text.substr(i, n));
      i += n;
    }
    SpeechTextStream s;
    auto r = releases(s, pieces);
    std::string got = joined(r);
    // Cuts at spaces may leave a space before a closing mark ("home ."): compare without them.
    auto squeeze = [](std::string v) {
      std::string o;
      for (std::size_t i = 0; i < v.size(); ++i)
        if (!(v[i] == ' ' && i + 1 < v.size() && (v[i + 1] == '.' || v[i + 1] == ','))) o += v[i];
      return o;
    };
    EXPECT_EQ(squeeze(got), squeeze(expect)) << "round " << round;
  }
}
