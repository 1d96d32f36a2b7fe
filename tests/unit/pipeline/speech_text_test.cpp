#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/speech_text.h"

using namespace xz::pipeline;

TEST(Utf8, DecodesAndReportsCutOffAndInvalidSequences) {
  const std::string s = "a你😊";
  auto c = decode_utf8(s, 1);
  EXPECT_EQ(c.value, U'你');
  EXPECT_EQ(c.length, 3u);
  c = decode_utf8(s, 4);
  EXPECT_EQ(c.value, U'😊');
  EXPECT_EQ(c.length, 4u);
  const auto cut = decode_utf8(s.substr(0, 6), 4);
  EXPECT_FALSE(cut.complete);
  const std::string bad = "\xC0\xAF";  // overlong '/'
  EXPECT_EQ(decode_utf8(bad, 0).value, 0xFFFDu);
  EXPECT_EQ(decode_utf8(bad, 0).length, 1u);
  std::string round;
  for (char32_t cp : {U'a', U'é', U'你', U'😊'}) append_utf8(round, cp);
  EXPECT_EQ(round, "aé你😊");
}

TEST(CleanMarkdown, DropsCodeBlocksAndUnwrapsInlineCode) {
  EXPECT_EQ(clean_markdown("Text\n```python\nprint(1)\n```\nMore"), "Text\nMore");
  EXPECT_EQ(clean_markdown("Use `ls -la` now, or ``a ` b``."), "Use ls -la now, or a ` b.");
  EXPECT_EQ(clean_markdown("Before\n```\nnever closed"), "Before");
}

TEST(CleanMarkdown, RemovesHeadingsEmphasisAndStrike) {
  EXPECT_EQ(clean_markdown("## Title ##"), "Title");
  EXPECT_EQ(clean_markdown("**bold** and *it* and __b__ and _i_ and ~~s~~ and ***both***"),
            "bold and it and b and i and s and both");
  EXPECT_EQ(clean_markdown("这是**重点**内容"), "这是重点内容");
  EXPECT_EQ(clean_markdown("#hashtag stays"), "#hashtag stays");
}

TEST(CleanMarkdown, LeavesNonMarkupAsterisksAndUnderscores) {
  EXPECT_EQ(clean_markdown("call my_func_name now"), "call my_func_name now");
  EXPECT_EQ(clean_markdown("2 * 3 = 6"), "2 * 3 = 6");
  EXPECT_EQ(clean_markdown("\\*not bold\\*"), "*not bold*");
  EXPECT_EQ(clean_markdown("好的~我来"), "好的~我来");
}

TEST(CleanMarkdown, ImagesLinksQuotesAndLists) {
  EXPECT_EQ(clean_markdown("See ![a cat](http://x/cat.png) here"), "See here");
  EXPECT_EQ(clean_markdown("[OpenAI](https://openai.com/(x)) site"), "OpenAI site");
  EXPECT_EQ(clean_markdown("> quoted\n> > nested"), "quoted\nnested");
  EXPECT_EQ(clean_markdown("- a\n* b\n+ c\n- [x] done\n1. one"), "a\nb\nc\ndone\n1. one");
  EXPECT_EQ(clean_markdown("above\n\n---\n\nbelow"), "above\nbelow");
}

TEST(CleanMarkdown, TablesBecomeSpokenRows) {
  EXPECT_EQ(clean_markdown("| Name | Age |\n|---|:--:|\n| **Tom** | 3 |\n| Ann | 5 |"),
            "Name, Age.\nTom, 3.\nAnn, 5.");
  EXPECT_EQ(clean_markdown("城市 | 天气\n--- | ---\n北京 | 晴"), "城市，天气。\n北京，晴。");
  EXPECT_EQ(clean_markdown("A|B testing is fine"), "A|B testing is fine");
}

TEST(CleanMarkdown, MathAndHtml) {
  EXPECT_EQ(clean_markdown("Formula $$x^2 + y^2$$ done"), "Formula done");
  EXPECT_EQ(clean_markdown("a $$\\frac{1}{2}\n$$ b"), "a b");
  EXPECT_EQ(clean_markdown("one<br/>two <b>bold</b> <!-- hidden --> end"), "one two bold end");
  EXPECT_EQ(clean_markdown("3 < 5 and x <y> z"), "3 < 5 and x <y> z");
  EXPECT_EQ(clean_markdown("go to <https://x.org/a>"), "go to https://x.org/a");
}

TEST(RemoveEmoji, KeepsCjkAndPunctuation) {
  EXPECT_EQ(remove_emoji("你好😊，世界！👍🏽ok❤️👨‍👩‍👧🇨🇳end。"), "你好，世界！okend。");
  EXPECT_EQ(remove_emoji("Hello 😊 world"), "Hello world");
  EXPECT_EQ(remove_emoji("😊 Hi 🎉"), "Hi");
  EXPECT_EQ(remove_emoji("Keycap 1️⃣ done"), "Keycap done");
  EXPECT_EQ(remove_emoji("A → B, ©, 「引号」？"), "A → B, ©, 「引号」？");
  EXPECT_EQ(remove_emoji("☀晴天⭐"), "晴天");
}

TEST(StripEdgePunctuation, MatchesTheReferenceSet) {
  EXPECT_EQ(strip_edge_punctuation("“你好！”"), "你好");
  EXPECT_EQ(strip_edge_punctuation("  ...Hello, world!!  "), "Hello, world");
  EXPECT_EQ(strip_edge_punctuation("？问题？"), "？问题？");
  EXPECT_EQ(strip_edge_punctuation("😊好的😊"), "好的");
  EXPECT_EQ(strip_edge_punctuation("【注意】"), "注意");
  EXPECT_EQ(strip_edge_punctuation("，。！"), "");
}

TEST(ReplacementWords, LongestMatchFirstAndSpeechOnly) {
  const std::vector<std::string> entries = {"小智|小志", "小智同学|小智老师", "AI|人工智能"};
  const ReplacementWords words(entries);
  EXPECT_EQ(words.size(), 3u);
  EXPECT_EQ(words.apply("小智同学你好，小智说AI"), "小智老师你好，小志说人工智能");
  EXPECT_EQ(for_speech("**小智**同学😊", words), "小智老师");
  EXPECT_EQ(for_subtitle("**小智**同学😊"), "小智同学") << "subtitles keep the original words";
}

TEST(ReplacementWords, LaterEntryWinsAndBadEntriesAreRejected) {
  const std::vector<std::string> entries = {"a|b", "a|c"};
  EXPECT_EQ(ReplacementWords(entries).apply("aa"), "cc");
  const std::vector<std::string> no_bar = {"missing separator"};
  EXPECT_THROW(ReplacementWords{no_bar}, std::invalid_argument);
  const std::vector<std::string> empty_from = {"|x"};
  EXPECT_THROW(ReplacementWords{empty_from}, std::invalid_argument);
  EXPECT_EQ(ReplacementWords().apply("unchanged"), "unchanged");
}

TEST(IsMostlyCjk, ComparesIdeographsWithLatinWords) {
  EXPECT_TRUE(is_mostly_cjk("你好世界"));
  EXPECT_TRUE(is_mostly_cjk("我喜欢Python编程"));
  EXPECT_FALSE(is_mostly_cjk("Hello world"));
  EXPECT_FALSE(is_mostly_cjk("I love 中国"));
  EXPECT_FALSE(is_mostly_cjk(""));
  EXPECT_TRUE(is_mostly_cjk("こんにちは"));
}

TEST(ForSubtitle, CleansMarkdownEmojiAndNewlines) {
  EXPECT_EQ(for_subtitle("**你好** 😊\n世界"), "你好世界");
  EXPECT_EQ(for_subtitle("Line one\n\n- Line two 🎉"), "Line one Line two");
  EXPECT_EQ(for_subtitle("  \n😊\n "), "");
  EXPECT_EQ(for_speech("# 标题\n内容"), "标题内容");
}
