// What an MCP tool's text answer means for the conversation.
#include <gtest/gtest.h>

#include "tools/mcp/mcp_tool_result.h"

using namespace xz::tools::mcp;
using xz::tools::Action;

TEST(McpToolResult, ActionObjectsAndPlainText) {
  auto spoken = tool_result_from_mcp({true, R"({"action":"RESPONSE","response":"Hi","result":"r"})"});
  EXPECT_EQ(spoken.action, Action::response);
  EXPECT_EQ(spoken.response, "Hi");
  auto plain = tool_result_from_mcp({true, "22 degrees"});
  EXPECT_EQ(plain.action, Action::reqllm);
  EXPECT_EQ(plain.result, "22 degrees");
  EXPECT_EQ(tool_result_from_mcp({false, "it broke"}).action, Action::error);
}

TEST(McpToolResult, DeepJsonTextIsPlainText) {
  // An action object carrying 25,000 levels of JSON is refused as JSON: it goes to the
  // LLM as the text it is (truncated there), and nothing recursed through it.
  std::string deep;
  for (int i = 0; i < 25000; ++i) deep += R"({"k":)";
  deep += "1" + std::string(25000, '}');
  const std::string text = R"({"action":"RESPONSE","response":"Hi","extra":)" + deep + "}";
  auto r = tool_result_from_mcp({true, text});
  EXPECT_EQ(r.action, Action::reqllm);
}
