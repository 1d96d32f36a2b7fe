// The pure pieces the engines are built from: NDJSON lines, UTF-8 joining, conversation
// ids by history, config reading.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "providers/llm/conversation_wire.h"
#include "providers/llm/llm_config_wire.h"
#include "providers/llm/ndjson_stream.h"
#include "providers/llm/tool_call_text.h"
#include "providers/llm/utf8_stream.h"

using nlohmann::json;
using xz::providers::ChatMessage;
using xz::providers::ConversationIds;
using xz::providers::EngineConfigError;
using xz::providers::NdjsonLines;
using xz::providers::Utf8Stream;

namespace {

ChatMessage msg(std::string role, std::string content) {
  ChatMessage m;
  m.role = std::move(role);
  m.content = std::move(content);
  return m;
}

std::string config_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const EngineConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(NdjsonLines, SplitsLinesAcrossPieces) {
  NdjsonLines lines;
  EXPECT_TRUE(lines.feed("{\"a\":").empty());
  auto first = lines.feed("1}\n{\"b\"");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0], "{\"a\":1}");
  auto more = lines.feed(":2}\r\n\n  \n{\"c\":3}\n");
  ASSERT_EQ(more.size(), 2u);
  EXPECT_EQ(more[0], "{\"b\":2}");
  EXPECT_EQ(more[1], "{\"c\":3}");
  EXPECT_TRUE(lines.feed("{\"d\":4}").empty());
  EXPECT_EQ(lines.finish(), "{\"d\":4}");
  EXPECT_EQ(lines.finish(), "");
}

TEST(NdjsonLines, AnOverlongLineIsAnError) {
  NdjsonLines lines(16);
  EXPECT_NO_THROW(lines.feed("0123456789"));
  EXPECT_THROW(lines.feed("0123456789"), std::runtime_error);
}

TEST(Utf8Stream, JoinsCharactersSplitAcrossPieces) {
  const std::string text = "天气 ok é 🙂!";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    for (std::size_t cut2 = cut; cut2 <= text.size(); ++cut2) {
      Utf8Stream s;
      std::string out = s.feed(text.substr(0, cut));
      out += s.feed(text.substr(cut, cut2 - cut));
      out += s.feed(text.substr(cut2));
      out += s.finish();
      ASSERT_EQ(out, text) << cut << "," << cut2;
    }
  }
  Utf8Stream s;
  EXPECT_EQ(s.feed("\xE5\xA4"), "");  // held: two bytes of 天
  EXPECT_EQ(s.feed("\xA9"), "天");
}

TEST(Utf8Stream, InvalidBytesBecomeReplacementCharacters) {
  Utf8Stream s;
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(s.feed("a\x80" "b"), "a" + fffd + "b");       // lone continuation byte
  EXPECT_EQ(s.feed("\xC0\xAF"), fffd + fffd);             // overlong form
  EXPECT_EQ(s.feed("\xE5" "x"), fffd + "x");              // cut sequence
  EXPECT_EQ(s.feed("\xED\xA0\x80"), fffd + fffd + fffd);  // surrogate
  EXPECT_EQ(s.feed("\xF0\x9F"), "");
  EXPECT_EQ(s.finish(), fffd);  // the stream ended inside a character
  // Whatever comes out is valid for JSON.
  Utf8Stream t;
  std::string junk;
  for (int i = 0; i < 256; ++i) junk.push_back(static_cast<char>(i));
  std::string out = t.feed(junk) + t.finish();
  EXPECT_NO_THROW((void)json(out).dump());
}

TEST(ConversationIds, FindsTheConversationAnAnswerContinues) {
  ConversationIds ids;
  std::vector<ChatMessage> turn1 = {msg("system", "sys"), msg("user", "hi"), msg("assistant", "Hello!")};
  ids.remember(turn1, "conv-1");
  // The next request's history: the same turns (system prompt may change, blanks too).
  std::vector<ChatMessage> history = {msg("system", "sys, now with memory"), msg("user", " hi"), msg("assistant", "Hello!\n")};
  EXPECT_EQ(ids.find(history), "conv-1");
  history[2].content = "Hello?";
  EXPECT_EQ(ids.find(history), std::nullopt);
  EXPECT_EQ(ids.find(std::vector<ChatMessage>{msg("user", "hi")}), std::nullopt);
  ids.forget(turn1);
  EXPECT_EQ(ids.find(turn1), std::nullopt);
}

TEST(ConversationIds, AToolCallMatchesAsTextOrAsStructuredCall) {
  ConversationIds ids;
  std::string call_text = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
  ids.remember(std::vector<ChatMessage>{msg("user", "weather?"), msg("assistant", call_text)}, "conv-7");
  ChatMessage structured = msg("assistant", "");
  structured.tool_calls = {{.id = "call_x", .name = "get_weather", .arguments = R"({"city":"Paris"})"}};
  EXPECT_EQ(ids.find(std::vector<ChatMessage>{msg("user", "weather?"), structured}), "conv-7");
  structured.tool_calls[0].arguments = R"({"city":"Rome"})";
  EXPECT_EQ(ids.find(std::vector<ChatMessage>{msg("user", "weather?"), structured}), std::nullopt);
}

TEST(ConversationIds, IsBounded) {
  ConversationIds ids(3);
  for (int i = 0; i < 5; ++i) ids.remember(std::vector<ChatMessage>{msg("user", std::to_string(i))}, "c" + std::to_string(i));
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids.find(std::vector<ChatMessage>{msg("user", "0")}), std::nullopt);
  EXPECT_EQ(ids.find(std::vector<ChatMessage>{msg("user", "4")}), "c4");
}

TEST(SplitNewInput, TheLastUserMessageOrTheTrailingToolResults) {
  using xz::providers::split_new_input;
  std::vector<ChatMessage> m = {msg("system", "s"), msg("user", "a"), msg("assistant", "b"), msg("user", "c")};
  auto in = split_new_input(m);
  EXPECT_EQ(in.history.size(), 2u);
  EXPECT_EQ(in.input.size(), 1u);
  EXPECT_EQ(in.text, "c");

  ChatMessage call = msg("assistant", "");
  call.tool_calls = {{.id = "c1", .name = "f", .arguments = "{}"}, {.id = "c2", .name = "g", .arguments = "{}"}};
  ChatMessage r1 = msg("tool", "one");
  r1.tool_call_id = "c1";
  ChatMessage r2 = msg("tool", "two");
  r2.tool_call_id = "c2";
  std::vector<ChatMessage> t = {msg("system", "s"), msg("user", "do"), call, r1, r2};
  auto tin = split_new_input(t);
  EXPECT_EQ(tin.history.size(), 2u);  // user + the assistant's calls
  EXPECT_EQ(tin.text, "Tool result (f): one\nTool result (g): two");

  EXPECT_THROW(split_new_input(std::vector<ChatMessage>{msg("system", "s")}), std::runtime_error);
  EXPECT_EQ(xz::providers::fold_history(in.history), "User: a\nAssistant: b\n");
}

TEST(LlmConfig, ReadsValuesTheWayTheReferenceConfigHoldsThem) {
  using namespace xz::providers::llm_config;
  json cfg = {{"a", ""}, {"b", nullptr}, {"n", "0.5"}, {"i", 3}, {"s", 42}, {"t", "yes"}, {"bad", "x"}, {"frac", 1.5}};
  EXPECT_EQ(find(cfg, "a"), nullptr);
  EXPECT_EQ(find(cfg, "b"), nullptr);
  EXPECT_EQ(opt_number(cfg, "n"), 0.5);
  EXPECT_EQ(opt_integer(cfg, "i", 1), 3);
  EXPECT_EQ(opt_string(cfg, "s"), "42");
  EXPECT_EQ(opt_bool(cfg, "t"), true);
  EXPECT_EQ(config_error([&] { opt_number(cfg, "bad"); }), "bad: not a number");
  EXPECT_EQ(config_error([&] { opt_integer(cfg, "frac", 1); }), "frac: not a whole number >= 1");
  EXPECT_EQ(config_error([&] { opt_integer(cfg, "i", 4); }), "i: not a whole number >= 4");
  EXPECT_EQ(config_error([&] { opt_bool(cfg, "bad"); }), "bad: not a boolean");

  EXPECT_EQ(base_url(json{{"url", "http://h:1/v1//"}}, "base_url", "url", ""), "http://h:1/v1");
  EXPECT_EQ(base_url(json::object(), "base_url", nullptr, "http://d"), "http://d");
  EXPECT_EQ(config_error([] { base_url(json::object(), "base_url", "url", ""); }), "base_url: missing (set base_url or url)");
  EXPECT_EQ(config_error([] { base_url(json{{"url", "h:1"}}, "base_url", "url", ""); }), "url: not an http(s) URL: 'h:1'");

  auto t = timeouts(json{{"timeout", {{"connect", 2}, {"read", 30}}}}, 60);
  EXPECT_EQ(t.connect.count(), 2000);
  EXPECT_EQ(t.total.count(), 30000);
  EXPECT_EQ(timeouts(json::object(), 120).total.count(), 120000);
  EXPECT_EQ(config_error([] { timeouts(json{{"timeout", 0}}, 60); }), "timeout: must be > 0 seconds");
  EXPECT_EQ(config_error([] { require_mapping(json::array()); }), "not a mapping");
}
