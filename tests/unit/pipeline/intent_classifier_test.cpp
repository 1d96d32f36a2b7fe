#include "pipeline/intent_classifier.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using xz::pipeline::intent_prompt;
using xz::pipeline::parse_intent_answer;
using xz::providers::ToolSchema;

namespace {
std::vector<ToolSchema> tools() {
  return {{"get_weather", "Weather for a place", {{"type", "object"}, {"properties", {{"location", {{"type", "string"}}}}}}},
          {"play_music", "Play a song", nlohmann::json::object()}};
}
}  // namespace

TEST(IntentClassifier, PromptListsEveryFunctionAndTheEscape) {
  auto p = intent_prompt(tools());
  EXPECT_NE(p.find("get_weather"), std::string::npos);
  EXPECT_NE(p.find("play_music"), std::string::npos);
  EXPECT_NE(p.find("continue_chat"), std::string::npos);
}

TEST(IntentClassifier, NamedFunctionBecomesACall) {
  auto c = parse_intent_answer(R"({"function_call": {"name": "get_weather", "arguments": {"location": "Paris"}}})", tools());
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "get_weather");
  EXPECT_EQ(nlohmann::json::parse(c->arguments)["location"], "Paris");
  EXPECT_TRUE(c->id.empty());
}

TEST(IntentClassifier, ProseFencesAndStringArgumentsAreTolerated) {
  auto c = parse_intent_answer("Sure!\n```json\n{\"function_call\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"location\\\":\\\"Oslo\\\"}\"}}\n```",
                               tools());
  ASSERT_TRUE(c);
  EXPECT_EQ(nlohmann::json::parse(c->arguments)["location"], "Oslo");
  auto no_args = parse_intent_answer(R"({"function_call":{"name":"play_music"}})", tools());
  ASSERT_TRUE(no_args);
  EXPECT_EQ(no_args->arguments, "{}");
}

TEST(IntentClassifier, ContinueChatUnknownNamesAndGarbageMeanNoCall) {
  EXPECT_FALSE(parse_intent_answer(R"({"function_call":{"name":"continue_chat"}})", tools()));
  EXPECT_FALSE(parse_intent_answer(R"({"function_call":{"name":"format_disk"}})", tools()));
  EXPECT_FALSE(parse_intent_answer("I think the user wants the weather", tools()));
  EXPECT_FALSE(parse_intent_answer(R"({"function_call": 42})", tools()));
  EXPECT_FALSE(parse_intent_answer("{broken json", tools()));
}
