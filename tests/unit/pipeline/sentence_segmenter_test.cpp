#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/sentence_segmenter.h"
#include "pipeline/speech_text.h"

using xz::pipeline::SentenceSegmenter;

namespace {

using Segments = std::vector<std::string>;

// Feeds `text` in deltas of `chunk` bytes (1 splits every UTF-8 sequence), then finish().
Segments run_chunks(SentenceSegmenter& seg, std::string_view text, std::size_t chunk) {
  Segments out;
  for (std::size_t i = 0; i < text.size(); i += chunk) {
    for (auto& s : seg.push(text.substr(i, chunk))) out.push_back(std::move(s));
  }
  if (auto rest = seg.finish()) out.push_back(std::move(*rest));
  return out;
}

// Feeds `text` cut at random byte positions.
Segments run_random(SentenceSegmenter& seg, std::string_view text, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> len(1, 9);
  Segments out;
  for (std::size_t i = 0; i < text.size();) {
    const auto n = std::min(len(rng), text.size() - i);
    for (auto& s : seg.push(text.substr(i, n))) out.push_back(std::move(s));
    i += n;
  }
  if (auto rest = seg.finish()) out.push_back(std::move(*rest));
  return out;
}

// However the text is split into deltas, the segments are the same.
void expect_segments(std::string_view text, const Segments& expected, SentenceSegmenter::Options opts = {}) {
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{4}, std::size_t{5},
                            std::size_t{7}, std::size_t{11}, text.size()}) {
    SentenceSegmenter seg(opts);
    EXPECT_EQ(run_chunks(seg, text, chunk), expected) << "deltas of " << chunk << " bytes";
  }
  for (unsigned seed = 1; seed <= 20; ++seed) {
    SentenceSegmenter seg(opts);
    EXPECT_EQ(run_random(seg, text, seed), expected) << "random deltas, seed " << seed;
  }
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++n) {
    const auto c = xz::pipeline::decode_utf8(s, i);
    EXPECT_TRUE(c.complete && c.value != 0xFFFD) << "invalid UTF-8 in \"" << s << "\"";
    i += c.length;
  }
  return n;
}

}  // namespace

TEST(SentenceSegmenter, EnglishSentencesEachBecomeASegment) {
  expect_segments("Hello there! How are you today? I am fine.",
                  {"Hello there!", "How are you today?", "I am fine."});
}

TEST(SentenceSegmenter, FirstSegmentMayEndAtACommaLaterOnesMayNot) {
  expect_segments("Well, I think so. Yes, indeed, it is.", {"Well,", "I think so.", "Yes, indeed, it is."});
}

TEST(SentenceSegmenter, ChineseSplitInsideUtf8Sequences) {
  expect_segments("你好，我是小智。今天天气很好，适合出去玩！你想去哪里？",
                  {"你好，", "我是小智。", "今天天气很好，适合出去玩！", "你想去哪里？"});
}

TEST(SentenceSegmenter, FirstSegmentNeedsMinFirstChars) {
  expect_segments("嗯，好的，我来帮你。", {"嗯，好的，", "我来帮你。"});
  SentenceSegmenter::Options one;
  one.min_first_chars = 1;
  expect_segments("嗯，好的，我来帮你。", {"嗯，", "好的，我来帮你。"}, one);
}

TEST(SentenceSegmenter, NumbersUrlsTimesAndAbbreviationsAreNotCut) {
  expect_segments(
      "Pi is 3.14 and 1,000 people came at 10:30 today. Visit https://x.org/a.b?c=d for more. "
      "Dr. Smith met Mr. Lee, e.g. at noon. J. K. Rowling wrote it.",
      {"Pi is 3.14 and 1,000 people came at 10:30 today.", "Visit https://x.org/a.b?c=d for more.",
       "Dr. Smith met Mr. Lee, e.g. at noon.", "J. K. Rowling wrote it."});
  expect_segments("价格是3.5元，一共1,000个。时间是10:30。会议在10：30开始。",
                  {"价格是3.5元，", "一共1,000个。", "时间是10:30。", "会议在10：30开始。"});
}

TEST(SentenceSegmenter, AsciiMarkAtTheEndOfADeltaIsHeldUntilTheNextDelta) {
  SentenceSegmenter seg;
  EXPECT_TRUE(seg.push("It is done.").empty());
  EXPECT_EQ(seg.push(" Next one"), Segments{"It is done."});
  EXPECT_TRUE(seg.push("Pi is 3.").empty());
  EXPECT_TRUE(seg.push("14 exactly").empty()) << "3.14 must not be cut";
  EXPECT_EQ(seg.finish(), std::optional<std::string>("Next onePi is 3.14 exactly"));
}

TEST(SentenceSegmenter, FullWidthMarksCutAtOnce) {
  SentenceSegmenter seg;
  EXPECT_EQ(seg.push("好的。"), Segments{"好的。"});
  EXPECT_EQ(seg.push("我来了！"), Segments{"我来了！"});
  EXPECT_EQ(seg.finish(), std::nullopt);
}

TEST(SentenceSegmenter, AsciiMarksBeforeCjkOrClosersCut) {
  expect_segments("好的!我来帮你.", {"好的!", "我来帮你."});
  expect_segments("He said \"stop.\" Then he left.", {"He said \"stop.\"", "Then he left."});
  expect_segments("Really?! Yes... I see.", {"Really?!", "Yes...", "I see."});
  expect_segments("**Note:** read this. Then go.", {"**Note:**", "read this.", "Then go."});
}

TEST(SentenceSegmenter, ClosersAfterFullWidthMarksStayWhenAlreadyThere) {
  SentenceSegmenter whole;
  EXPECT_EQ(run_chunks(whole, "他说：“好的。”然后走了。", 1000),
            (Segments{"他说：", "“好的。”", "然后走了。"}));
  // Streamed, the mark cuts before the closer arrives; the orphan closer is dropped.
  SentenceSegmenter streamed;
  EXPECT_EQ(run_chunks(streamed, "他说：“好的。”然后走了。", 1),
            (Segments{"他说：", "“好的。", "然后走了。"}));
}

TEST(SentenceSegmenter, NewlinesEndSegmentsAndBlankOnesAreDropped) {
  expect_segments("Title\nLine two\n\n  \n\nLine three", {"Title", "Line two", "Line three"});
  expect_segments("Hello.\n\n   \n  World.", {"Hello.", "World."});
}

TEST(SentenceSegmenter, ListNumbersDoNotEndASegment) {
  expect_segments("Steps:\n1. Open the box\n2. Take it out.", {"Steps:", "1. Open the box", "2. Take it out."});
}

TEST(SentenceSegmenter, FencedCodeBlocksAreSkipped) {
  expect_segments("Here is code:\n```python\nprint('hi. there')\nx = 1\n```\nDone. Bye.",
                  {"Here is code:", "Done.", "Bye."});
  // Unclosed at the end: nothing of it is spoken.
  expect_segments("Look:\n```\nint x = 1;\n", {"Look:"});
}

TEST(SentenceSegmenter, CapCutsChineseOnCharacterBoundaries) {
  std::string text;
  while (code_points(text) < 300) text += "这是一个没有标点的很长的句子";
  SentenceSegmenter::Options opts;
  opts.max_chars = 120;
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{5}, text.size()}) {
    SentenceSegmenter seg(opts);
    const auto segments = run_chunks(seg, text, chunk);
    std::string joined;
    for (const auto& s : segments) {
      EXPECT_LE(code_points(s), 120u);
      joined += s;
    }
    EXPECT_EQ(joined, text) << "deltas of " << chunk;
    ASSERT_GE(segments.size(), 3u);
    EXPECT_EQ(code_points(segments[0]), 120u);
  }
}

TEST(SentenceSegmenter, CapCutsEnglishAtTheLastSpace) {
  std::string text;
  const char* words[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"};
  for (int k = 0; text.size() < 400; ++k) {
    if (!text.empty()) text += ' ';
    text += words[k % 8];
  }
  SentenceSegmenter::Options opts;
  opts.max_chars = 50;
  SentenceSegmenter seg(opts);
  const auto segments = run_chunks(seg, text, 3);
  ASSERT_GE(segments.size(), 8u);
  std::string joined;
  for (std::size_t k = 0; k < segments.size(); ++k) {
    const auto& s = segments[k];
    EXPECT_LE(s.size(), 50u);
    // Words are at most 7 letters, so the last space before the cap is within 8 of it.
    if (k + 1 < segments.size()) {
      EXPECT_GE(s.size(), 42u) << "cut too early: " << s;
    }
    if (!joined.empty()) joined += ' ';
    joined += s;
  }
  EXPECT_EQ(joined, text) << "a word was split";
}

TEST(SentenceSegmenter, CapPrefersAFullWidthCommaInLaterSegments) {
  SentenceSegmenter::Options opts;
  opts.max_chars = 10;
  expect_segments("你好。我们今天去公园，然后去看电影吧好不好呀",
                  {"你好。", "我们今天去公园，", "然后去看电影吧好不好", "呀"}, opts);
}

TEST(SentenceSegmenter, HardCutKeepsEmojiModifiersWithTheirBase) {
  SentenceSegmenter::Options opts;
  opts.max_chars = 3;
  expect_segments("ab👍🏽cd", {"ab", "👍🏽c", "d"}, opts);
}

TEST(SentenceSegmenter, FinishReturnsTheTailOrNothing) {
  SentenceSegmenter seg;
  EXPECT_EQ(seg.finish(), std::nullopt);
  EXPECT_TRUE(seg.push("  \n\t ").empty());
  EXPECT_EQ(seg.finish(), std::nullopt);
  EXPECT_TRUE(seg.push("。。。").empty());
  EXPECT_EQ(seg.finish(), std::nullopt) << "punctuation alone is not spoken";
  EXPECT_TRUE(seg.push("the end without a mark").empty());
  EXPECT_EQ(seg.finish(), std::optional<std::string>("the end without a mark"));
  // A UTF-8 sequence cut off by the end of the stream is dropped, not returned broken.
  EXPECT_TRUE(seg.push(std::string("好\xE5\xA5")).empty());
  EXPECT_EQ(seg.finish(), std::optional<std::string>("好"));
}

TEST(SentenceSegmenter, FinishAndResetStartANewStream) {
  SentenceSegmenter seg;
  EXPECT_EQ(seg.push("Hello, world. Fine, thanks"), (Segments{"Hello,", "world."}));
  EXPECT_EQ(seg.finish(), std::optional<std::string>("Fine, thanks"));
  EXPECT_EQ(seg.push("Hi, there"), Segments{"Hi,"}) << "first-segment rule again after finish()";
  seg.reset();
  EXPECT_EQ(seg.push("Ok, so"), Segments{"Ok,"}) << "and after reset()";
  EXPECT_EQ(seg.finish(), std::optional<std::string>("so"));
}

TEST(SentenceSegmenter, RejectsAZeroCap) {
  SentenceSegmenter::Options opts;
  opts.max_chars = 0;
  EXPECT_THROW(SentenceSegmenter{opts}, std::invalid_argument);
}

TEST(SentenceSegmenter, HugeDeltaIsCutIntoBoundedSegmentsInOnePass) {
  std::string text;
  while (text.size() < 300'000) text += "很长的文本没有任何标点符号而且一直继续下去 and some words too ";
  SentenceSegmenter seg;
  const auto segments = seg.push(text);
  ASSERT_GT(segments.size(), 1000u);
  std::size_t bytes = 0;
  for (const auto& s : segments) {
    EXPECT_LE(code_points(s), 120u);
    bytes += s.size();
  }
  const auto rest = seg.finish();
  ASSERT_TRUE(rest.has_value());
  EXPECT_LE(code_points(*rest), 120u);
  EXPECT_GT(bytes + rest->size(), text.size() * 9 / 10) << "text was lost";
}
