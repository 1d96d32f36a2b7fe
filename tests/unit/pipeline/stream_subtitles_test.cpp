// When the subtitles of a streamed reply are due.
#include "pipeline/stream_subtitles.h"

#include <gtest/gtest.h>

using xz::pipeline::StreamSubtitles;

TEST(StreamSubtitles, FirstAtTheFirstAudioThenByEstimatedLength) {
  StreamSubtitles s;
  s.add("今天天气很好。", "今天天气很好。");  // 6 ideographs: 1.32 s
  s.add("我们去公园吧。", "我们去公园吧。");
  EXPECT_EQ(s.due(0.0), (std::vector<std::string>{"今天天气很好。"}));
  EXPECT_TRUE(s.due(0.5).empty());
  EXPECT_TRUE(s.due(1.2).empty());
  EXPECT_EQ(s.due(1.4), (std::vector<std::string>{"我们去公园吧。"}));
  EXPECT_TRUE(s.rest().empty());
}

TEST(StreamSubtitles, VendorSentencesWithTextFollowTheVendor) {
  StreamSubtitles s;
  s.add("你好，", "你好，");
  s.add("今天很好。", "今天很好。");
  s.add("再见。", "再见。");
  s.vendor_sentence("你好，今天很好。");  // the vendor's first sentence holds our first two
  EXPECT_EQ(s.due(0.0), (std::vector<std::string>{"你好，"}));
  s.vendor_sentence("再见。");  // starts at character 6: our third
  EXPECT_EQ(s.due(0.1), (std::vector<std::string>{"今天很好。", "再见。"}));
}

TEST(StreamSubtitles, VendorSentencesWithoutTextShowOneEach) {
  StreamSubtitles s;
  for (const char* t : {"One long sentence here.", "Two.", "Three."}) s.add(t, t);
  s.vendor_sentence("");
  EXPECT_EQ(s.due(0.0).size(), 1u);
  s.vendor_sentence("");
  EXPECT_EQ(s.due(0.05), (std::vector<std::string>{"Two."}));
  EXPECT_EQ(s.rest(), (std::vector<std::string>{"Three."}));
}

TEST(StreamSubtitles, ASegmentThatArrivesAfterItsAudioIsShownAtOnce) {
  StreamSubtitles s;
  EXPECT_TRUE(s.due(0.0).empty());  // audio before the segmenter cut anything
  EXPECT_TRUE(s.due(0.5).empty());
  s.add("A long first sentence without any pause.", "A long first sentence without any pause.");
  EXPECT_EQ(s.due(1.0).size(), 1u);
}
