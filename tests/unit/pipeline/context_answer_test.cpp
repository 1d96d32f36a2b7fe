// What a context provider's answer puts into {{dynamic_context}}: the reference's
// formatting (context_provider.py), values as Python's str() prints them.
#include <gtest/gtest.h>

#include "pipeline/context_answer.h"

using namespace xz::pipeline;
using ojson = nlohmann::ordered_json;

TEST(ContextAnswer, MapEntriesBecomeBoldKeyLinesInTheAnswersOrder) {
  auto a = parse_context_answer(R"({"code":0,"msg":"ok","data":{"温度":"23°C","mode":"cool","on":true,"n":3}})");
  EXPECT_EQ(a.error, "");
  EXPECT_EQ(a.lines, (std::vector<std::string>{"- **温度：** 23°C", "- **mode：** cool", "- **on：** True", "- **n：** 3"}));
}

TEST(ContextAnswer, ListItemsBecomeDashLines) {
  auto a = parse_context_answer(R"({"code":0,"data":["Meeting at 3 pm", 42, null, {"a":1}]})");
  EXPECT_EQ(a.error, "");
  EXPECT_EQ(a.lines, (std::vector<std::string>{"- Meeting at 3 pm", "- 42", "- None", "- {'a': 1}"}));
  EXPECT_TRUE(parse_context_answer(R"({"code":0,"data":[]})").lines.empty());
  EXPECT_EQ(parse_context_answer(R"({"code":0,"data":[]})").error, "");
}

TEST(ContextAnswer, ValuesPrintAsPythonStr) {
  EXPECT_EQ(python_str(ojson::parse(R"("plain")")), "plain");
  EXPECT_EQ(python_str(ojson::parse("1.5")), "1.5");
  EXPECT_EQ(python_str(ojson::parse("2.0")), "2.0");
  EXPECT_EQ(python_str(ojson::parse("-7")), "-7");
  EXPECT_EQ(python_str(ojson::parse("false")), "False");
  EXPECT_EQ(python_str(ojson::parse(R"({"b":[1,"x's",true],"a":{"k":null}})")),
            R"({'b': [1, "x's", True], 'a': {'k': None}})");
}

TEST(ContextAnswer, OtherShapesGiveNothingAndSayWhy) {
  EXPECT_EQ(parse_context_answer("<html>down</html>").error, "the answer is not JSON");
  EXPECT_EQ(parse_context_answer("[1,2]").error, "the answer is not a JSON object");
  EXPECT_EQ(parse_context_answer(R"({"data":{"a":1}})").error, "the answer has no code");
  EXPECT_EQ(parse_context_answer(R"({"code":401,"msg":"no token","data":{"a":1}})").error, "error code 401: no token");
  EXPECT_EQ(parse_context_answer(R"({"code":"0","data":{"a":1}})").error, "error code \"0\"");
  EXPECT_EQ(parse_context_answer(R"({"code":0,"data":"text"})").error, "data is neither a map nor a list");
  EXPECT_EQ(parse_context_answer(R"({"code":0})").error, "data is neither a map nor a list");
  for (const char* bad : {R"({"code":0,"data":{"a":1}})", R"({"code":401,"data":{"a":1}})"})
    EXPECT_EQ(parse_context_answer(bad).lines.size(), std::string_view(bad).find("401") == std::string_view::npos ? 1u : 0u);
}

TEST(ContextAnswer, DeepNestingIsRefusedNotRecursedInto) {
  std::string deep = R"({"code":0,"data":{"k":)";
  for (int i = 0; i < 5000; ++i) deep += "[";
  for (int i = 0; i < 5000; ++i) deep += "]";
  deep += "}}";
  auto a = parse_context_answer(deep);
  EXPECT_TRUE(a.lines.empty());
  EXPECT_NE(a.error.find("nested more than 16 deep"), std::string::npos) << a.error;
  std::string ok = R"({"code":0,"data":[)";
  for (int i = 0; i < 15; ++i) ok += "[";
  for (int i = 0; i < 15; ++i) ok += "]";
  ok += "]}";
  EXPECT_EQ(parse_context_answer(ok).error, "");
}
