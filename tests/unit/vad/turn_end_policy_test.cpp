// The turn-end policy: which partial transcripts end a turn sooner or later, and the bounds.
#include <gtest/gtest.h>

#include "providers/vad/turn_end_policy.h"

using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::read_turn_end_options;
using xz::providers::TurnEndPolicy;
using Ending = TurnEndPolicy::Ending;

namespace {
constexpr std::uint64_t kMs = 16;
TurnEndPolicy policy(const EngineConfig& cfg = EngineConfig::object(), std::uint64_t min_silence_ms = 200) {
  return TurnEndPolicy(read_turn_end_options(cfg), min_silence_ms * kMs);
}
}  // namespace

TEST(TurnEndPolicy, ClassifiesTheEndOfThePartial) {
  const auto p = policy();
  struct Row {
    const char* text;
    Ending ending;
  };
  const Row rows[] = {
      {"", Ending::open},
      {"   ", Ending::open},
      {"what is the weather today", Ending::open},
      {"What is the weather today?", Ending::complete},
      {"Turn on the light.", Ending::complete},
      {"Stop!  ", Ending::complete},
      {"今天天气怎么样？", Ending::complete},
      {"打开客厅的灯。", Ending::complete},
      {"太好了！", Ending::complete},
      {"好的．", Ending::complete},
      {"I want to go and", Ending::trailing},
      {"I want to go AND", Ending::trailing},
      {"I want to go, um", Ending::trailing},
      {"I was late because,", Ending::trailing},
      {"so...", Ending::complete},  // the ASR closed it with a full stop
      {"and then…", Ending::trailing},
      {"I play in a band", Ending::open},  // "and" must be the whole last word
      {"Is that so", Ending::trailing},
      {"我想去北京因为", Ending::trailing},
      {"我想去北京，然后", Ending::trailing},
      {"就是那个", Ending::trailing},
      {"嗯", Ending::trailing},
      {"我今天很高兴", Ending::open},
      {"你好啊", Ending::open},  // a sentence-final particle, not a filler
  };
  for (const auto& r : rows) EXPECT_EQ(p.classify(r.text), r.ending) << "\"" << r.text << "\"";
}

TEST(TurnEndPolicy, SilenceFollowsTheEndingWithinTheBounds) {
  const auto p = policy();
  EXPECT_EQ(p.end_silence("what is the weather"), 200 * kMs);
  EXPECT_EQ(p.end_silence("What is the weather?"), 120 * kMs);
  EXPECT_EQ(p.end_silence("我想去北京因为"), 600 * kMs);
  EXPECT_EQ(p.end_silence(""), 200 * kMs);
  // A complete sentence never waits longer than the endpoint, a filler never shorter.
  const auto slow = policy(EngineConfig::object(), 800);
  EXPECT_EQ(slow.end_silence("Done."), 120 * kMs);
  EXPECT_EQ(slow.end_silence("and"), 800 * kMs);
  const auto fast = policy(EngineConfig::object(), 100);
  EXPECT_EQ(fast.end_silence("Done."), 100 * kMs);
  EXPECT_EQ(fast.end_silence("and"), 600 * kMs);
}

TEST(TurnEndPolicy, ConfiguredBoundsAndWords) {
  const auto p = policy({{"complete_sentence_silence_ms", 80}, {"max_trailing_silence_ms", 900},
                         {"trailing_words", {"like", "嘛"}}});
  EXPECT_EQ(p.end_silence("Done."), 80 * kMs);
  EXPECT_EQ(p.end_silence("it was LIKE"), 900 * kMs);
  EXPECT_EQ(p.end_silence("就这样嘛"), 900 * kMs);
  EXPECT_EQ(p.end_silence("bread and"), 200 * kMs) << "the configured list replaces the defaults";
}

TEST(TurnEndPolicy, OffGivesTheEndpointAlways) {
  const auto p = policy({{"adaptive_end_of_turn", false}});
  for (const char* t : {"Done.", "and", "因为", ""}) EXPECT_EQ(p.end_silence(t), 200 * kMs) << t;
}

TEST(TurnEndPolicy, BadConfigNamesTheKey) {
  auto message = [](const EngineConfig& cfg) {
    try {
      read_turn_end_options(cfg);
    } catch (const EngineConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({{"adaptive_end_of_turn", "yes"}}).find("adaptive_end_of_turn"), std::string::npos);
  EXPECT_NE(message({{"complete_sentence_silence_ms", -1}}).find("complete_sentence_silence_ms"), std::string::npos);
  EXPECT_NE(message({{"max_trailing_silence_ms", "long"}}).find("max_trailing_silence_ms"), std::string::npos);
  EXPECT_NE(message({{"trailing_words", "and"}}).find("trailing_words"), std::string::npos);
  EXPECT_NE(message({{"trailing_words", {"and", 3}}}).find("trailing_words"), std::string::npos);
  EXPECT_NE(message({{"trailing_words", {""}}}).find("trailing_words"), std::string::npos);
  EXPECT_NE(message({{"trailing_words", std::vector<std::string>(257, "and")}}).find("trailing_words"),
            std::string::npos);
  EXPECT_EQ(message({{"trailing_words", nullptr}}), "no error");
}
