// Pure parts of the MCP client: the settings file, the endpoint URL rule, result
// mapping, stdout line splitting, HTTP answer decoding and SSE endpoint resolution.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tools/mcp/line_splitter.h"
#include "tools/mcp/mcp_body_decoder.h"
#include "tools/mcp/mcp_endpoint_client.h"
#include "tools/mcp/mcp_server_settings.h"
#include "tools/mcp/mcp_tool_result.h"
#include "tools/mcp/sse_transport.h"
#include "tools/tool_runner.h"

using namespace xz::tools::mcp;
using xz::tools::Action;
using Json = nlohmann::json;

namespace {

std::string settings_error(const Json& doc) {
  try {
    parse_mcp_server_settings(doc, "settings.json");
  } catch (const McpSettingsError& e) {
    return e.what();
  }
  return "";
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/xz-mcp-settings-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

TEST(McpServerSettings, ReadsTheReferenceFormat) {
  auto doc = Json::parse(R"({"mcpServers": {
      "fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", 8080],
             "env": {"DEBUG": "1", "PORT": 3000}},
      "legacy": {"url": "http://127.0.0.1:9000/sse", "headers": {"X-Key": "k"}, "API_ACCESS_TOKEN": "tok"},
      "modern": {"url": "https://example.com/mcp", "transport": "streamable-http", "timeout": 12.5,
                 "sse_read_timeout": 60},
      "aliased": {"url": "http://h/mcp", "type": "http"},
      "off": {"command": "nothing", "disabled": true}}})");
  auto servers = parse_mcp_server_settings(doc, "settings.json");
  ASSERT_EQ(servers.size(), 4u);  // "off" is skipped; JSON objects are ordered by name
  std::map<std::string, McpServerSpec> by_name;
  for (auto& s : servers) by_name[s.name] = s;

  const auto& fs = by_name.at("fs");
  EXPECT_EQ(fs.transport, McpTransportKind::stdio);
  EXPECT_EQ(fs.command, "npx");
  EXPECT_EQ(fs.args, (std::vector<std::string>{"-y", "@modelcontextprotocol/server-filesystem", "8080"}));
  EXPECT_EQ(fs.env.at("DEBUG"), "1");
  EXPECT_EQ(fs.env.at("PORT"), "3000");

  const auto& legacy = by_name.at("legacy");
  EXPECT_EQ(legacy.transport, McpTransportKind::sse);  // the reference's default
  EXPECT_EQ(legacy.timeout, std::chrono::seconds(5));
  EXPECT_EQ(legacy.sse_read_timeout, std::chrono::seconds(300));
  ASSERT_EQ(legacy.headers.size(), 2u);
  EXPECT_EQ(legacy.headers[0], (std::pair<std::string, std::string>{"X-Key", "k"}));
  EXPECT_EQ(legacy.headers[1], (std::pair<std::string, std::string>{"Authorization", "Bearer tok"}));

  const auto& modern = by_name.at("modern");
  EXPECT_EQ(modern.transport, McpTransportKind::streamable_http);
  EXPECT_EQ(modern.timeout, std::chrono::milliseconds(12500));
  EXPECT_EQ(modern.sse_read_timeout, std::chrono::seconds(60));
  EXPECT_EQ(by_name.at("aliased").transport, McpTransportKind::streamable_http);
  EXPECT_EQ(by_name.at("aliased").timeout, std::chrono::seconds(30));
}

TEST(McpServerSettings, ErrorsNameTheServerAndKey) {
  EXPECT_EQ(settings_error(Json::parse(R"({"mcpServers": {"fs": {"command": "npx", "args": "-y"}}})")),
            "settings.json: mcpServers.fs.args: must be a list of strings");
  EXPECT_EQ(settings_error(Json::parse(R"({"mcpServers": {"fs": {"command": "x", "args": [null]}}})")),
            "settings.json: mcpServers.fs.args[0]: must be a string");
  EXPECT_EQ(settings_error(Json::parse(R"({"mcpServers": {"web": {"url": "ftp://x"}}})")),
            "settings.json: mcpServers.web.url: 'ftp://x' is not an http:// or https:// URL");
  EXPECT_EQ(settings_error(Json::parse(R"({"mcpServers": {"web": {"url": "http://x", "transport": "carrier-pigeon"}}})")),
            "settings.json: mcpServers.web.transport: unknown transport 'carrier-pigeon' (sse, streamable-http or http)");
  EXPECT_EQ(settings_error(Json::parse(R"({"mcpServers": {"web": {"url": "http://x", "timeout": -1}}})")),
            "settings.json: mcpServers.web.timeout: must be between 0 and 86400 seconds");
  EXPECT_EQ(settings_error(Json::parse(R"({"mcpServers": {"x": {"args": []}}})")),
            "settings.json: mcpServers.x: needs 'command' (a stdio server) or 'url' (an HTTP server)");
  EXPECT_EQ(settings_error(Json::parse(R"({"mcpServers": {"x": 3}})")), "settings.json: mcpServers.x: must be a mapping");
  EXPECT_EQ(settings_error(Json::parse(R"({"mcpServers": []})")),
            "settings.json: mcpServers: must be a mapping of names to servers");
  EXPECT_EQ(settings_error(Json::parse(R"({"mcpServers": {"x": {"url": "http://h", "headers": {"A": "b\r\nC: d"}}}})")),
            "settings.json: mcpServers.x.headers.A: must be one line");
  EXPECT_EQ(settings_error(Json::parse(R"([1])")), "settings.json: must be a JSON object with \"mcpServers\"");
  EXPECT_TRUE(parse_mcp_server_settings(Json::parse("{}"), "s").empty());
}

TEST(McpServerSettings, MissingFileMeansNoServersBadFileIsAnError) {
  TempDir dir;
  const std::string path = mcp_server_settings_path(dir.path());
  EXPECT_EQ(path, dir.path() + "/.mcp_server_settings.json");
  EXPECT_TRUE(load_mcp_server_settings(path).empty());

  std::ofstream(path) << R"({"mcpServers": {"calc": {"command": "calc-server"}}})";
  auto servers = load_mcp_server_settings(path);
  ASSERT_EQ(servers.size(), 1u);
  EXPECT_EQ(servers[0].name, "calc");

  std::ofstream(path) << R"({"mcpServers": {"calc": {"command": )";
  try {
    load_mcp_server_settings(path);
    FAIL() << "a truncated file must be rejected";
  } catch (const McpSettingsError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": not valid JSON"), std::string::npos) << e.what();
  }
}

TEST(McpEndpointUrl, RewritesMcpToCallAndRecognisesPlaceholders) {
  EXPECT_EQ(mcp_endpoint_call_url("ws://192.168.1.25:8004/mcp_endpoint/mcp/?token=abc"),
            "ws://192.168.1.25:8004/mcp_endpoint/call/?token=abc");
  EXPECT_EQ(mcp_endpoint_call_url("  wss://api.example.com/mcp/?token=x  "), "wss://api.example.com/call/?token=x");
  EXPECT_EQ(mcp_endpoint_call_url("ws://host/other/path"), "ws://host/other/path");
  EXPECT_EQ(mcp_endpoint_call_url(""), std::nullopt);
  EXPECT_EQ(mcp_endpoint_call_url("null"), std::nullopt);
  EXPECT_EQ(mcp_endpoint_call_url("你的接入点 websocket地址"), std::nullopt);
  EXPECT_THROW(mcp_endpoint_call_url("http://host/mcp/?token=secret"), McpError);
  try {
    mcp_endpoint_call_url("http://host/mcp/?token=secret");
  } catch (const McpError& e) {
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << "the token must not be logged";
  }
}

TEST(McpToolResult, MapsActionsErrorsAndText) {
  auto plain = tool_result_from_mcp({true, "22 degrees"});
  EXPECT_EQ(plain.action, Action::reqllm);
  EXPECT_EQ(plain.result, "22 degrees");

  auto speak = tool_result_from_mcp({true, R"({"success":true,"action":"RESPONSE","response":"Done."})"});
  EXPECT_EQ(speak.action, Action::response);
  EXPECT_EQ(speak.response, "Done.");

  auto record = tool_result_from_mcp({true, R"({"action":"record","result":{"n":1}})"});
  EXPECT_EQ(record.action, Action::record);
  EXPECT_EQ(record.result, R"({"n":1})");

  auto reqllm = tool_result_from_mcp({true, R"({"action":"REQLLM"})"});
  EXPECT_EQ(reqllm.action, Action::reqllm);
  EXPECT_EQ(reqllm.result, R"({"action":"REQLLM"})");

  // JSON without a known action is just text for the LLM.
  auto json_text = tool_result_from_mcp({true, R"({"action":"DANCE","x":1})"});
  EXPECT_EQ(json_text.action, Action::reqllm);
  EXPECT_EQ(json_text.result, R"({"action":"DANCE","x":1})");

  auto failed = tool_result_from_mcp({false, "it broke"});
  EXPECT_EQ(failed.action, Action::error);
  EXPECT_EQ(failed.result, "error: it broke");
  EXPECT_EQ(failed.response, xz::tools::kToolFailedResponse);

  EXPECT_EQ(parse_action_name("NotFound"), Action::not_found);
  EXPECT_EQ(parse_action_name("none"), Action::none);
  EXPECT_EQ(parse_action_name("later"), std::nullopt);
}

TEST(LineSplitter, SplitsAcrossPiecesAndBoundsLines) {
  LineSplitter lines(10);
  EXPECT_TRUE(lines.feed("{\"a\"").empty());
  EXPECT_EQ(lines.feed(":1}\r\n{}\n"), (std::vector<std::string>{"{\"a\":1}", "{}"}));
  // An over-long line is dropped whole, the next one survives.
  EXPECT_TRUE(lines.feed("0123456789abc").empty());
  EXPECT_EQ(lines.feed("def\nok\n"), (std::vector<std::string>{"ok"}));
  EXPECT_EQ(lines.overlong_lines(), 1u);
  EXPECT_TRUE(lines.feed("tail").empty());
  EXPECT_EQ(lines.finish(), "tail");

  LineSplitter log(4, LineSplitter::Overflow::truncate);
  EXPECT_EQ(log.feed("abcdefgh\nxy\n"), (std::vector<std::string>{"abcd", "xy"}));
  EXPECT_EQ(log.overlong_lines(), 1u);
}

TEST(McpBodyDecoder, JsonBody) {
  McpBodyDecoder d(1024);
  EXPECT_TRUE(d.feed("  \n").empty());
  EXPECT_TRUE(d.feed(R"({"jsonrpc":"2.0","id":1,)").empty());
  EXPECT_TRUE(d.feed(R"("result":{}})").empty());
  EXPECT_FALSE(d.is_sse());
  auto msgs = d.finish();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["id"], 1);

  McpBodyDecoder small(8);
  EXPECT_THROW(small.feed(R"({"jsonrpc":"2.0"})"), McpError);
  McpBodyDecoder broken(64);
  broken.feed("{not json");
  EXPECT_THROW(broken.finish(), McpError);
}

TEST(McpBodyDecoder, SseBody) {
  McpBodyDecoder d(1024);
  EXPECT_TRUE(d.feed(": ping\n\nevent: message\ndata: {\"jsonrpc\":\"2.0\",").empty());
  EXPECT_TRUE(d.is_sse());
  auto msgs = d.feed("\"method\":\"notifications/message\"}\n\ndata: not json\n\nevent: other\ndata: {}\n\n"
                     "data: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}\n\n");
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0]["method"], "notifications/message");
  EXPECT_EQ(msgs[1]["id"], 7);
  EXPECT_EQ(d.bad_events(), 1u);
  EXPECT_TRUE(d.finish().empty());
}

TEST(SseEndpoint, ResolvesRelativeAndRejectsOtherOrigins) {
  EXPECT_EQ(resolve_sse_endpoint("http://127.0.0.1:8080/sse", "/messages/?session_id=ab12"),
            "http://127.0.0.1:8080/messages/?session_id=ab12");
  EXPECT_EQ(resolve_sse_endpoint("https://h.example/base/sse?k=1", "messages?s=1"), "https://h.example/base/messages?s=1");
  EXPECT_EQ(resolve_sse_endpoint("http://h:1/sse", "http://h:1/m"), "http://h:1/m");
  EXPECT_THROW(resolve_sse_endpoint("http://h:1/sse", "http://evil:1/m"), McpError);
  EXPECT_THROW(resolve_sse_endpoint("http://h:1/sse", "http://h:2/m"), McpError);
}
