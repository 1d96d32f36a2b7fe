#include <stdexcept>

#include <gtest/gtest.h>

#include "protocol/mcp_jsonrpc.h"

using namespace xz::protocol;
using Json = nlohmann::json;

// Request shapes from device-protocol.md §5.2-5.4 and reference-server.md §2.8.
TEST(McpRequests, Initialize) {
  const auto j = mcp_initialize(1, "http://192.168.1.10:8003/mcp/vision/explain", "tok");
  EXPECT_EQ(j["jsonrpc"], "2.0");
  EXPECT_EQ(j["id"], 1);
  EXPECT_TRUE(j["id"].is_number_integer());
  EXPECT_EQ(j["method"], "initialize");
  EXPECT_EQ(j["params"]["protocolVersion"], "2024-11-05");
  EXPECT_EQ(j["params"]["capabilities"]["vision"],
            Json::parse(R"({"url":"http://192.168.1.10:8003/mcp/vision/explain","token":"tok"})"));
  EXPECT_TRUE(j["params"]["clientInfo"]["name"].is_string());
  EXPECT_FALSE(mcp_initialize(1, "", "")["params"]["capabilities"].contains("vision"));
}

TEST(McpRequests, NotificationListAndCall) {
  EXPECT_EQ(mcp_initialized_notification(), Json::parse(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  EXPECT_EQ(mcp_tools_list(2, "", false),
            Json::parse(R"({"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":""}})"));
  EXPECT_EQ(mcp_tools_list(3, "self.screen.set_theme", true),
            Json::parse(R"({"jsonrpc":"2.0","id":3,"method":"tools/list",)"
                        R"("params":{"cursor":"self.screen.set_theme","withUserTools":true}})"));
  EXPECT_EQ(mcp_tools_call(4, "self.audio_speaker.set_volume", Json{{"volume", 50}}),
            Json::parse(R"({"jsonrpc":"2.0","id":4,"method":"tools/call",)"
                        R"("params":{"name":"self.audio_speaker.set_volume","arguments":{"volume":50}}})"));
  EXPECT_EQ(mcp_tools_call(5, "self.get_device_status", nullptr)["params"]["arguments"], Json::object());
  EXPECT_THROW(mcp_tools_call(6, "x", Json::array({1})), std::invalid_argument);
}

// Replies as the firmware sends them (§5.1-5.4).
TEST(McpReplies, ResultsAndErrors) {
  std::string error;
  auto r = parse_mcp_reply(Json::parse(
      R"({"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2024-11-05","capabilities":{"tools":{}},)"
      R"("serverInfo":{"name":"bread-compact-wifi","version":"2.4.2"}}})"), &error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->id.value_or(-1), 1);
  EXPECT_FALSE(r->is_error);
  EXPECT_EQ(r->result["serverInfo"]["version"], "2.4.2");
  EXPECT_TRUE(r->method.empty());

  r = parse_mcp_reply(Json::parse(R"({"jsonrpc":"2.0","id":7,"error":{"message":"Unknown tool: self.nope"}})"), &error);
  ASSERT_TRUE(r) << error;
  EXPECT_TRUE(r->is_error);
  EXPECT_EQ(r->id.value_or(-1), 7);
  EXPECT_EQ(r->error_message, "Unknown tool: self.nope");

  // An error without a message keeps its JSON, so the log still shows something.
  r = parse_mcp_reply(Json::parse(R"({"jsonrpc":"2.0","id":8,"error":{"code":-32601}})"), &error);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error_message, R"({"code":-32601})");
  // JSON-RPC allows a null id on errors.
  r = parse_mcp_reply(Json::parse(R"({"jsonrpc":"2.0","id":null,"error":{"message":"parse error"}})"), &error);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->id);
}

TEST(McpReplies, DeviceNotificationsAndRequests) {
  std::string error;
  auto r = parse_mcp_reply(
      Json::parse(R"({"jsonrpc":"2.0","method":"notifications/state_changed","params":{"state":"idle"}})"), &error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->method, "notifications/state_changed");
  EXPECT_FALSE(r->id);
  EXPECT_EQ(r->params["state"], "idle");
  r = parse_mcp_reply(Json::parse(R"({"jsonrpc":"2.0","id":3,"method":"ping"})"), &error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->method, "ping");
  EXPECT_EQ(r->id.value_or(-1), 3);
}

TEST(McpReplies, MalformedPayloads) {
  std::string error;
  const auto bad = [&](std::string_view text) {
    error.clear();
    const bool rejected = !parse_mcp_reply(Json::parse(text), &error);
    EXPECT_FALSE(error.empty()) << text;
    return rejected;
  };
  EXPECT_TRUE(bad(R"([1,2])"));
  EXPECT_TRUE(bad(R"({"id":1,"result":{}})"));                       // no jsonrpc
  EXPECT_TRUE(bad(R"({"jsonrpc":"1.0","id":1,"result":{}})"));
  EXPECT_TRUE(bad(R"({"jsonrpc":"2.0","id":"1","result":{}})"));     // string id
  EXPECT_TRUE(bad(R"({"jsonrpc":"2.0","id":1.5,"result":{}})"));
  EXPECT_TRUE(bad(R"({"jsonrpc":"2.0","id":1})"));                    // neither result nor error
  EXPECT_TRUE(bad(R"({"jsonrpc":"2.0","id":1,"result":{},"error":{"message":"x"}})"));
  EXPECT_TRUE(bad(R"({"jsonrpc":"2.0","result":{}})"));               // result without id
  EXPECT_TRUE(bad(R"({"jsonrpc":"2.0","method":5})"));
  EXPECT_TRUE(bad(R"({"jsonrpc":"2.0","method":"m","params":"x"})"));
  EXPECT_EQ(error, "mcp payload: params must be an object or array");
  EXPECT_FALSE(parse_mcp_reply(Json(), nullptr));
}

TEST(McpTools, ParsesAPageWithCursorAndUserOnlyTools) {
  const auto result = Json::parse(R"({"tools":[
    {"name":"self.get_device_status","description":"Provides the real-time information of the device",
     "inputSchema":{"type":"object","properties":{}}},
    {"name":"self.audio_speaker.set_volume","description":"Set the volume",
     "inputSchema":{"type":"object","properties":{"volume":{"type":"integer","minimum":0,"maximum":100}},"required":["volume"]}},
    {"name":"self.reboot","description":"Reboot","inputSchema":{"type":"object","properties":{}},
     "annotations":{"audience":["user"]}},
    {"name":"both","annotations":{"audience":["user","assistant"]}},
    {"description":"no name"},
    {"name":""},
    "not an object"
  ],"nextCursor":"self.screen.set_theme"})");
  std::string cursor = "stale";
  const auto tools = parse_tools_list(result, &cursor);
  EXPECT_EQ(cursor, "self.screen.set_theme");
  ASSERT_EQ(tools.size(), 4u);
  EXPECT_EQ(tools[0].name, "self.get_device_status");
  EXPECT_FALSE(tools[0].user_only);
  EXPECT_EQ(tools[1].input_schema["required"][0], "volume");
  EXPECT_EQ(tools[1].input_schema["properties"]["volume"]["maximum"], 100);
  EXPECT_TRUE(tools[2].user_only);
  EXPECT_FALSE(tools[3].user_only);
  EXPECT_EQ(tools[3].description, "");
  EXPECT_EQ(tools[3].input_schema, Json::parse(R"({"type":"object","properties":{}})"));
}

TEST(McpTools, LastPageAndJunk) {
  std::string cursor = "stale";
  EXPECT_TRUE(parse_tools_list(Json::parse(R"({"tools":[]})"), &cursor).empty());
  EXPECT_EQ(cursor, "");
  cursor = "stale";
  EXPECT_TRUE(parse_tools_list(Json::parse("[]"), &cursor).empty());
  EXPECT_EQ(cursor, "");
  EXPECT_TRUE(parse_tools_list(Json::parse(R"({"tools":"x","nextCursor":5})"), &cursor).empty());
  EXPECT_EQ(cursor, "");
  EXPECT_EQ(parse_tools_list(Json::parse(R"({"tools":[{"name":"a"}]})"), nullptr).size(), 1u);
}

TEST(McpToolCall, Outcomes) {
  McpReply ok;
  ok.id = 3;
  ok.result = Json::parse(R"({"content":[{"type":"text","text":"true"}],"isError":false})");
  auto o = parse_tool_call_result(ok);
  EXPECT_TRUE(o.ok);
  EXPECT_EQ(o.text, "true");

  McpReply many = ok;
  many.result = Json::parse(R"({"content":[{"type":"text","text":"a"},{"type":"image","image":"x"},{"type":"text","text":"b"}]})");
  EXPECT_EQ(parse_tool_call_result(many).text, "a\nb");

  McpReply flagged = ok;
  flagged.result = Json::parse(R"({"content":[{"type":"text","text":"camera busy"}],"isError":true})");
  o = parse_tool_call_result(flagged);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.text, "camera busy");

  // Found by tests/fuzz/mcp_jsonrpc's property (corpus: error_without_text): an error
  // whose text items are all blank gave an empty text, which the LLM read as "error: ".
  flagged.result = Json::parse(R"({"content":[{"type":"text","text":""},{"type":"text","text":" "}],"isError":true})");
  o = parse_tool_call_result(flagged);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.text, "tool reported an error");

  McpReply rpc_error;
  rpc_error.is_error = true;
  rpc_error.error_message = "Missing valid argument: volume";
  o = parse_tool_call_result(rpc_error);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.text, "Missing valid argument: volume");

  McpReply empty = ok;
  empty.result = Json::parse(R"({"content":[]})");
  EXPECT_FALSE(parse_tool_call_result(empty).ok);
  empty.result = Json::parse(R"("text")");
  EXPECT_FALSE(parse_tool_call_result(empty).ok);
  EXPECT_FALSE(parse_tool_call_result(McpReply{}).ok);
}
