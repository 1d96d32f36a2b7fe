#include "tools/builtin/fuzzy_match.h"

#include <gtest/gtest.h>

#include "tools/builtin/music_library.h"

using namespace xz::tools::builtin;

// Expected values are what CPython's difflib.SequenceMatcher(None, a, b).ratio() gives.
TEST(FuzzyMatch, SequenceRatioMatchesDifflib) {
  EXPECT_DOUBLE_EQ(sequence_ratio(U"abcd", U"bcde"), 0.75);
  EXPECT_DOUBLE_EQ(sequence_ratio(U"two tigers", U"two tigers kids song"), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(sequence_ratio(U"hello world", U"world hello"), 5.0 / 11.0);
  EXPECT_DOUBLE_EQ(sequence_ratio(U"夜曲", U"周杰伦 夜曲"), 0.5);
  EXPECT_DOUBLE_EQ(sequence_ratio(U"", U"abc"), 0.0);
  EXPECT_DOUBLE_EQ(sequence_ratio(U"", U""), 1.0);
  EXPECT_DOUBLE_EQ(sequence_ratio(U"qabxcd", U"abycdf"), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(sequence_ratio(U"private thread", U"private volatile thread"), 28.0 / 37.0);
}

TEST(FuzzyMatch, NormalisesCasePunctuationAndUtf8) {
  EXPECT_EQ(normalise_title("Two_Tigers - (Kids) "), U"two tigers kids");
  EXPECT_EQ(normalise_title("周杰伦《夜曲》"), U"周杰伦 夜曲");
  EXPECT_EQ(normalise_title("a\xff\xfe b"), U"a b");  // invalid bytes are dropped
  EXPECT_EQ(normalise_title("  "), U"");
}

TEST(FuzzyMatch, ContainedQueriesScoreAboveTheThreshold) {
  // A long file name that holds the whole query matches even at a low ratio.
  EXPECT_LT(sequence_ratio(normalise_title("song title"), normalise_title("01 - Some Artist - Song Title (Remastered 2011)")),
            kTitleMatchThreshold);
  EXPECT_GT(title_match_score("song title", "01 - Some Artist - Song Title (Remastered 2011)"), 1.0);
  EXPECT_LT(title_match_score("xylophone", "Two Tigers"), kTitleMatchThreshold);
}

TEST(FuzzyMatch, FindTrackPicksTheBestTitle) {
  std::vector<MusicTrack> tracks = {
      {"/m/Two_Tigers.mp3", "Two_Tigers"},
      {"/m/Twinkle Twinkle Little Star.ogg", "Twinkle Twinkle Little Star"},
      {"/m/周杰伦 - 夜曲.mp3", "周杰伦 - 夜曲"},
  };
  EXPECT_EQ(find_track(tracks, "two tigers")->title, "Two_Tigers");
  EXPECT_EQ(find_track(tracks, "Twinkle Little Star")->title, "Twinkle Twinkle Little Star");
  EXPECT_EQ(find_track(tracks, "twinkel twinkel")->title, "Twinkle Twinkle Little Star");  // misheard
  EXPECT_EQ(find_track(tracks, "夜曲")->title, "周杰伦 - 夜曲");
  EXPECT_FALSE(find_track(tracks, "bohemian rhapsody"));
  EXPECT_FALSE(find_track({}, "two tigers"));
}
