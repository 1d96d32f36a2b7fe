#include "providers/llm/tool_call_text.h"

#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using nlohmann::json;
using xz::providers::ChatDelta;
using xz::providers::ChatMessage;
using xz::providers::ToolCallDelta;
using xz::providers::ToolCallTextParser;
using xz::providers::ToolSchema;

namespace {

struct Parsed {
  std::string text;
  std::vector<ToolCallDelta> calls;
  std::vector<std::string> text_per_feed;
};

// Feeds the pieces in order, then finishes.
Parsed parse(const std::vector<std::string>& pieces) {
  ToolCallTextParser p;
  Parsed out;
  auto take = [&](ChatDelta d) {
    out.text_per_feed.push_back(d.text);
    out.text += d.text;
    for (auto& c : d.tool_calls) out.calls.push_back(std::move(c));
  };
  for (const auto& piece : pieces) take(p.feed(piece));
  take(p.finish());
  return out;
}

// Every split of s into two pieces, and one piece per byte.
std::vector<std::vector<std::string>> splits(const std::string& s) {
  std::vector<std::vector<std::string>> out;
  for (std::size_t i = 0; i <= s.size(); ++i) out.push_back({s.substr(0, i), s.substr(i)});
  std::vector<std::string> bytes;
  for (char c : s) bytes.emplace_back(1, c);
  out.push_back(bytes);
  return out;
}

ChatMessage msg(std::string role, std::string content) {
  ChatMessage m;
  m.role = std::move(role);
  m.content = std::move(content);
  return m;
}

}  // namespace

TEST(ToolCallPrompt, ListsEveryToolInOpenAiFormatBetweenMarkers) {
  std::vector<ToolSchema> tools = {
      {.name = "get_weather", .description = "Weather of a city",
       .parameters = {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}, {"required", {"city"}}}},
      {.name = "play_music", .description = "播放音乐", .parameters = json::object()}};
  std::string prompt = xz::providers::tool_call_prompt(tools);
  EXPECT_EQ(prompt.rfind(xz::providers::kToolPromptBegin, 0), 0u);
  EXPECT_TRUE(prompt.ends_with(xz::providers::kToolPromptEnd));
  EXPECT_NE(prompt.find("<tool_call>"), std::string::npos);
  EXPECT_NE(prompt.find("</tool_call>"), std::string::npos);
  // Each tool is one parseable line of the OpenAI tool schema.
  int found = 0;
  std::size_t at = 0;
  while ((at = prompt.find("{\"function\":", at)) != std::string::npos) {
    auto line = prompt.substr(at, prompt.find('\n', at) - at);
    auto j = json::parse(line);
    EXPECT_EQ(j["type"], "function");
    if (j["function"]["name"] == "get_weather") {
      EXPECT_EQ(j["function"]["parameters"]["required"], json::array({"city"}));
      ++found;
    }
    if (j["function"]["name"] == "play_music") {
      EXPECT_EQ(j["function"]["description"], "播放音乐");  // UTF-8 kept, not \u-escaped
      ++found;
    }
    at += line.size();
  }
  EXPECT_EQ(found, 2);
  EXPECT_EQ(xz::providers::tool_call_prompt({}), "");
}

TEST(ToolCallPrompt, CanBeFoundInsideASystemPrompt) {
  std::string section = xz::providers::tool_call_prompt({{.name = "x", .description = "d", .parameters = json::object()}});
  std::string system = "You are XiaoZhi.\n\n" + section + "\n\nBe brief.";
  EXPECT_EQ(xz::providers::find_tool_call_prompt(system), section);
  EXPECT_EQ(xz::providers::find_tool_call_prompt("You are XiaoZhi."), "");
}

TEST(ToolCallJson, AcceptsTheShapesModelsWrite) {
  using xz::providers::parse_tool_call_json;
  auto a = parse_tool_call_json(R"({"name": "get_weather", "arguments": {"city": "Paris"}})");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name, "get_weather");
  EXPECT_EQ(json::parse(a->arguments), (json{{"city", "Paris"}}));
  auto fenced = parse_tool_call_json("\n```json\n{\"name\":\"f\",\"parameters\":{\"n\":1}}\n```\n");
  ASSERT_TRUE(fenced);
  EXPECT_EQ(json::parse(fenced->arguments), (json{{"n", 1}}));
  auto string_args = parse_tool_call_json(R"({"name":"f","arguments":"{\"n\": 2}"})");
  ASSERT_TRUE(string_args);
  EXPECT_EQ(json::parse(string_args->arguments), (json{{"n", 2}}));
  auto no_args = parse_tool_call_json(R"({"name":"stop"})");
  ASSERT_TRUE(no_args);
  EXPECT_EQ(no_args->arguments, "{}");
  auto wrapped = parse_tool_call_json(R"({"type":"function","function":{"name":"f","arguments":{}}})");
  ASSERT_TRUE(wrapped);
  EXPECT_EQ(wrapped->name, "f");

  EXPECT_FALSE(parse_tool_call_json("no json here"));
  EXPECT_FALSE(parse_tool_call_json(R"({"arguments":{}})"));
  EXPECT_FALSE(parse_tool_call_json(R"({"name":"", "arguments":{}})"));
  EXPECT_FALSE(parse_tool_call_json(R"({"name":"f", "arguments":[1,2]})"));
  EXPECT_FALSE(parse_tool_call_json(R"({"name":"f", "arguments":{)"));
}

TEST(ToolCallJson, DeepArgumentsAreNoCall) {
  // 25,000 nested objects as the arguments: refused before anything copies or dumps them.
  std::string deep;
  for (int i = 0; i < 25000; ++i) deep += R"({"k":)";
  deep += "1" + std::string(25000, '}');
  EXPECT_FALSE(xz::providers::parse_tool_call_json(R"({"name":"f","arguments":)" + deep + "}"));
  // The same as a JSON string of arguments, which is parsed again.
  std::string escaped;
  for (int i = 0; i < 25000; ++i) escaped += R"({\"k\":)";
  escaped += "1" + std::string(25000, '}');
  EXPECT_FALSE(xz::providers::parse_tool_call_json(R"({"name":"f","arguments":")" + escaped + R"("})"));
}

TEST(ToolCallTextParser, PlainTextPassesThroughAtOnce) {
  ToolCallTextParser p;
  EXPECT_EQ(p.feed("Hello, ").text, "Hello, ");
  EXPECT_EQ(p.feed("a < b and x<y").text, "a < b and x<y");
  EXPECT_EQ(p.feed("!").text, "!");
  auto end = p.finish();
  EXPECT_EQ(end.text, "");
  EXPECT_TRUE(end.tool_calls.empty());
}

TEST(ToolCallTextParser, HoldsBackOnlyAPossibleTagStart) {
  ToolCallTextParser p;
  EXPECT_EQ(p.feed("Sure <tool").text, "Sure ");
  EXPECT_EQ(p.feed("box> here").text, "<toolbox> here");  // it was not a tag
  EXPECT_EQ(p.feed(" <").text, " ");
  EXPECT_EQ(p.finish().text, "<");
}

TEST(ToolCallTextParser, ABlockSplitAnywhereBecomesOneCall) {
  const std::string answer =
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"北京\"}}\n</tool_call>";
  for (const auto& pieces : splits(answer)) {
    auto r = parse(pieces);
    ASSERT_EQ(r.calls.size(), 1u) << pieces.size() << " pieces";
    EXPECT_EQ(r.text, "");
    EXPECT_EQ(r.calls[0].index, 0);
    EXPECT_EQ(r.calls[0].name, "get_weather");
    EXPECT_EQ(json::parse(r.calls[0].arguments), (json{{"city", "北京"}}));
    EXPECT_TRUE(r.calls[0].id.starts_with("call_")) << r.calls[0].id;
  }
}

TEST(ToolCallTextParser, TextAroundAndSeveralCalls) {
  auto r = parse({"Let me check. <tool_call>{\"name\":\"a\",\"arguments\":{}}</tool_call>\n\n",
                  "<tool_call>{\"name\":\"b\",\"arguments\":{\"x\":1}}</tool_call>\nDone."});
  EXPECT_EQ(r.text, "Let me check. Done.");
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.calls[0].name, "a");
  EXPECT_EQ(r.calls[1].name, "b");
  EXPECT_EQ(r.calls[0].index, 0);
  EXPECT_EQ(r.calls[1].index, 1);
  EXPECT_NE(r.calls[0].id, r.calls[1].id);
}

TEST(ToolCallTextParser, TheReferencePromptsClosingTagTypoCloses) {
  auto r = parse({"<tool_call>\n{\"name\": \"handle_exit_intent\", \"arguments\": {\"say_goodbye\": \"bye\"}}\n<tool_call>"});
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].name, "handle_exit_intent");
  EXPECT_EQ(r.text, "");
}

TEST(ToolCallTextParser, AnUnclosedBlockAtTheEndIsStillACall) {
  auto r = parse({"<tool_call>{\"name\":\"f\",", "\"arguments\":{\"k\":\"v\"}}"});
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(json::parse(r.calls[0].arguments), (json{{"k", "v"}}));
}

TEST(ToolCallTextParser, ABrokenBlockIsPassedOnAsText) {
  auto r = parse({"x <tool_call>not json</tool_call> y"});
  EXPECT_TRUE(r.calls.empty());
  EXPECT_EQ(r.text, "x <tool_call>not json</tool_call> y");
  auto unclosed = parse({"<tool_call>{\"name\":"});
  EXPECT_TRUE(unclosed.calls.empty());
  EXPECT_EQ(unclosed.text, "<tool_call>{\"name\":");
}

TEST(ToolCallTextParser, AnOversizedBlockIsReleasedAsText) {
  ToolCallTextParser p(32);
  EXPECT_EQ(p.feed("<tool_call>{\"name\":\"f\"").text, "");
  EXPECT_TRUE(p.inside_block());
  auto d = p.feed(std::string(40, 'x'));
  EXPECT_FALSE(p.inside_block());
  EXPECT_EQ(d.text, "<tool_call>{\"name\":\"f\"" + std::string(40, 'x'));
}

TEST(ToolCallsAsText, RendersCallsAndResultsForATextOnlyModel) {
  ChatMessage call = msg("assistant", "");
  call.tool_calls = {{.id = "c1", .name = "get_weather", .arguments = R"({"city":"Paris"})"}};
  ChatMessage result = msg("tool", "sunny, 21°C");
  result.tool_call_id = "c1";
  auto out = xz::providers::tool_calls_as_text({msg("system", "s"), msg("user", "weather?"), call, result});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].role, "system");
  EXPECT_EQ(out[2].role, "assistant");
  EXPECT_TRUE(out[2].tool_calls.empty());
  // The rendered call parses back to the same call.
  ToolCallTextParser p;
  auto d = p.feed(out[2].content);
  auto e = p.finish();
  d.tool_calls.insert(d.tool_calls.end(), e.tool_calls.begin(), e.tool_calls.end());
  ASSERT_EQ(d.tool_calls.size(), 1u);
  EXPECT_EQ(d.tool_calls[0].name, "get_weather");
  EXPECT_EQ(json::parse(d.tool_calls[0].arguments), (json{{"city", "Paris"}}));
  EXPECT_EQ(out[3].role, "user");
  EXPECT_EQ(out[3].content, "Tool result (get_weather): sunny, 21°C");
}

TEST(ToolCallIds, AreUnique) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(xz::providers::make_tool_call_id());
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_EQ(ids.begin()->size(), 21u);  // "call_" + 16 hex digits
}
