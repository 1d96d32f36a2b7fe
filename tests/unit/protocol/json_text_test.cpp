// JSON text from outside: bounded nesting, never a throw.
#include <gtest/gtest.h>

#include "protocol/json_text.h"

using namespace xz::protocol;

namespace {

std::string arrays(std::size_t levels) { return std::string(levels, '[') + std::string(levels, ']'); }

std::string objects(std::size_t levels) {
  std::string s;
  for (std::size_t i = 0; i < levels; ++i) s += R"({"k":)";
  s += "null";
  return s.append(levels, '}');
}

}  // namespace

TEST(JsonText, ParsesWithinTheBound) {
  auto j = parse_json_text(R"({"a":[1,{"b":"[[[{{{"}],"c":"\"]"})");
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["a"][1]["b"], "[[[{{{");
  EXPECT_EQ(j["c"], "\"]");
  EXPECT_FALSE(parse_json_text(arrays(kMaxJsonDepth)).is_discarded());
  EXPECT_FALSE(parse_json_text(objects(kMaxJsonDepth)).is_discarded());
  EXPECT_EQ(json_text_fault(objects(kMaxJsonDepth)), "");
}

TEST(JsonText, RefusesDeepTextBeforeParsing) {
  EXPECT_TRUE(parse_json_text(arrays(kMaxJsonDepth + 1)).is_discarded());
  EXPECT_TRUE(parse_json_text(objects(kMaxJsonDepth + 1)).is_discarded());
  EXPECT_TRUE(parse_ordered_json_text(objects(kMaxJsonDepth + 1)).is_discarded());
  // 25,000 levels: nlohmann alone would build it, and a later copy or dump would recurse
  // 25,000 frames deep.
  const std::string deep = arrays(25000);
  ASSERT_FALSE(nlohmann::json::parse(deep, nullptr, false).is_discarded()) << "the bound is what refuses it";
  EXPECT_TRUE(parse_json_text(deep).is_discarded());
  EXPECT_TRUE(parse_ordered_json_text(deep).is_discarded());
  EXPECT_TRUE(parse_json_text(R"({"payload":)" + objects(25000) + "}").is_discarded());
  EXPECT_EQ(json_text_fault(deep), "JSON nested deeper than 64 levels");
  // A caller may ask for less.
  EXPECT_TRUE(parse_json_text(arrays(3), 2).is_discarded());
  EXPECT_FALSE(parse_json_text(arrays(2), 2).is_discarded());
}

TEST(JsonText, CountsOnlyOutsideStrings) {
  EXPECT_FALSE(json_nesting_exceeds(R"(["[[[[", "\"[[[[", "\\"])", 1));
  EXPECT_TRUE(json_nesting_exceeds(R"(["\\", [[]]])", 2)) << "an escaped backslash ends the escape";
  // Stray closers in broken text do not buy depth for later openers.
  EXPECT_TRUE(json_nesting_exceeds("]]]]" + std::string(3, '['), 2));
}

TEST(JsonText, MalformedTextIsDiscardedWithItsPosition) {
  for (const char* bad : {"", "not json", R"({"a":)", R"({"a":1} x)", "\"\xff\"", "[1,]", "1e999999"}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(parse_json_text(bad).is_discarded());
    EXPECT_EQ(json_text_fault(bad).rfind("malformed JSON at byte ", 0), 0u) << json_text_fault(bad);
  }
  EXPECT_EQ(json_text_fault(R"({"a":1} x)"), "malformed JSON at byte 9");
}
