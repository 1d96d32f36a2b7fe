// Streamable HTTP and legacy SSE transports against the in-process fake MCP server,
// directly and through the hub (settings in the reference format).
// (Coroutine bodies keep every co_await in a statement of its own: g++ 12.)
#include <gtest/gtest.h>

#include "core/runtime.h"
#include "net/http_client.h"
#include "support/fake_mcp_http.h"
#include "tools/mcp/deadline.h"
#include "tools/mcp/mcp_session.h"
#include "tools/mcp/mcp_tool_result.h"
#include "tools/mcp/server_mcp_hub.h"
#include "tools/mcp/sse_transport.h"
#include "tools/mcp/streamable_http_transport.h"
#include "unit/mcp/mcp_test_util.h"

using namespace std::chrono_literals;
using namespace xz::tools::mcp;
using xz::core::Task;
using xz::test::FakeMcpHttp;
using xz::test::FakeMcpHttpOptions;
using xz::test::run_in;
using Json = nlohmann::json;
using Outcome = xz::protocol::McpCallOutcome;

namespace {

Task<Outcome> call(McpSession& s, const char* name, const char* args_json, int timeout_ms = 5000) {
  std::string tool = name;
  Json args = Json::parse(args_json);
  auto r = co_await s.call_tool(std::move(tool), std::move(args), std::chrono::milliseconds(timeout_ms));
  co_return r;
}

Task<std::string> call_error(McpSession& s, const char* name, const char* args_json, int timeout_ms) {
  std::string tool = name;
  Json args = Json::parse(args_json);
  try {
    co_await s.call_tool(std::move(tool), std::move(args), std::chrono::milliseconds(timeout_ms));
  } catch (const McpError& e) {
    co_return e.what();
  }
  co_return "";
}

std::vector<std::string> names(const std::vector<xz::protocol::McpTool>& tools) {
  std::vector<std::string> out;
  for (const auto& t : tools) out.push_back(t.name);
  return out;
}

const std::vector<std::string> kFakeTools{"echo", "fail", "speak", "slow", "add_tool"};

class McpHttpTest : public ::testing::Test {
 protected:
  void SetUp() override { rt.start(); }
  boost::asio::any_io_executor ex() { return rt.loop(0).get_executor(); }

  std::shared_ptr<StreamableHttpTransport> streamable(const FakeMcpHttp& fake) {
    StreamableHttpOptions o;
    o.name = "web";
    o.url = fake.streamable_url();
    o.headers = {{"Authorization", "Bearer secret-token"}};
    o.timeout = 5s;
    return std::make_shared<StreamableHttpTransport>(ex(), client, std::move(o));
  }

  std::shared_ptr<SseTransport> legacy(const FakeMcpHttp& fake) {
    SseTransportOptions o;
    o.name = "legacy";
    o.url = fake.sse_url();
    o.headers = {{"X-Api-Key", "k1"}};
    return std::make_shared<SseTransport>(ex(), client, std::move(o));
  }

  std::shared_ptr<McpSession> session(std::shared_ptr<McpTransport> t, std::string protocol = "2025-03-26") {
    McpSessionOptions o;
    o.label = "MCP server 'web'";
    o.protocol_version = std::move(protocol);
    return McpSession::create(ex(), std::move(t), o);
  }

  xz::core::Runtime rt{1, 1};
  // Declared after the runtime, so it goes first: its idle sockets belong to the loops.
  std::shared_ptr<xz::net::HttpClient> client = std::make_shared<xz::net::HttpClient>();
};

// Runs the common checks over one connected session.
Task<void> exercise_tools(McpSession& s) {
  auto echo = co_await call(s, "echo", R"({"text": "over http"})");
  EXPECT_TRUE(echo.ok);
  EXPECT_EQ(echo.text, "over http");
  auto fail = co_await call(s, "fail", "{}");
  EXPECT_FALSE(fail.ok);
  EXPECT_EQ(fail.text, "it broke");
  auto speak = co_await call(s, "speak", "{}");
  auto mapped = tool_result_from_mcp(speak);
  EXPECT_EQ(mapped.action, xz::tools::Action::response);
  EXPECT_EQ(mapped.response, "Hello over HTTP");
  auto t0 = xz::core::Clock::now();
  auto timeout = co_await call_error(s, "slow", R"({"ms": 3000})", 200);
  EXPECT_EQ(timeout, "MCP server 'web': tools/call slow timed out after 200 ms");
  EXPECT_LT(xz::core::Clock::now() - t0, 2000ms);
  auto after = co_await call(s, "echo", R"({"text": "still fine"})");
  EXPECT_EQ(after.text, "still fine");
}

}  // namespace

TEST_F(McpHttpTest, StreamableHttpWithJsonAnswers) {
  FakeMcpHttp fake;
  auto transport = streamable(fake);
  auto s = session(transport);
  auto body = [&]() -> Task<void> {
    co_await s->start();
    EXPECT_EQ(names(s->tools()), kFakeTools);  // three pages of two
    EXPECT_EQ(s->protocol_version(), "2025-03-26");
    EXPECT_EQ(transport->session_id(), "S1");
    co_await exercise_tools(*s);
    co_await s->close();
  };
  run_in(ex(), body());

  auto requests = fake.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests[0].body["method"], "initialize");
  EXPECT_EQ(requests[0].headers.count("mcp-session-id"), 0u);
  EXPECT_NE(requests[0].headers["accept"].find("text/event-stream"), std::string::npos);
  for (const auto& r : requests) {
    EXPECT_EQ(r.headers.at("authorization"), "Bearer secret-token") << r.method << " " << r.target;
    if (r.body.is_object() && r.body.value("method", "") == "initialize") continue;
    EXPECT_EQ(r.headers.at("mcp-session-id"), "S1") << r.body.dump();
    EXPECT_EQ(r.headers.at("mcp-protocol-version"), "2025-03-26");
  }
  EXPECT_EQ(fake.count("notifications/initialized"), 1u);
  EXPECT_TRUE(fake.wait_for("notifications/cancelled", 1, 5s)) << "the timed-out call is cancelled";
  EXPECT_EQ(fake.count("DELETE"), 1u) << "close() ends the session";
  EXPECT_TRUE(fake.wait_for_streams(0, 5s)) << "close() ends the notification stream";
}

TEST_F(McpHttpTest, StreamableHttpWithSseAnswers) {
  FakeMcpHttp fake(FakeMcpHttpOptions{.sse_answers = true});
  auto s = session(streamable(fake));
  auto body = [&]() -> Task<void> {
    co_await s->start();
    EXPECT_EQ(names(s->tools()), kFakeTools);
    co_await exercise_tools(*s);
    co_await s->close();
  };
  run_in(ex(), body());
}

// support/hostile_mcp.h's messages come before the answer (on the POST's stream, in a
// JSON batch, or on the legacy event stream); each is skipped, the answer is taken.
Task<void> survive_hostile_messages(McpSession& s) {
  auto echo = co_await call(s, "echo", R"({"text": "after the noise", "hostile": true})");
  EXPECT_TRUE(echo.ok);
  EXPECT_EQ(echo.text, "after the noise");
  auto again = co_await call(s, "echo", R"({"text": "still reading"})");
  EXPECT_EQ(again.text, "still reading");
  EXPECT_TRUE(s.is_open());
}

TEST_F(McpHttpTest, HostileMessagesCostOnlyThemselves) {
  for (bool sse_answers : {false, true}) {
    SCOPED_TRACE(sse_answers ? "Streamable HTTP, SSE answers" : "Streamable HTTP, JSON answers");
    FakeMcpHttp fake(FakeMcpHttpOptions{.sse_answers = sse_answers});
    auto s = session(streamable(fake));
    auto body = [&]() -> Task<void> {
      co_await s->start();
      co_await survive_hostile_messages(*s);
      co_await s->close();
    };
    run_in(ex(), body());
  }
  SCOPED_TRACE("legacy HTTP+SSE");
  FakeMcpHttp fake;
  auto s = session(legacy(fake), "2024-11-05");
  auto body = [&]() -> Task<void> {
    co_await s->start();
    co_await survive_hostile_messages(*s);
    co_await s->close();
  };
  run_in(ex(), body());
}

TEST_F(McpHttpTest, NotificationStreamDeliversListChanged) {
  FakeMcpHttp fake;
  auto transport = streamable(fake);
  auto s = session(transport);
  auto changed = std::make_shared<xz::core::Event>(ex());
  run_in(ex(), s->start());
  ASSERT_TRUE(fake.wait_for_streams(1, 5s)) << "the GET stream opens after initialize";
  run_in(ex(), [](std::shared_ptr<McpSession> s, std::shared_ptr<xz::core::Event> ev) -> Task<void> {
    s->set_tools_changed_handler([ev] { ev->set(); });
    co_return;
  }(s, changed));
  fake.add_tool("zeta");
  auto wait = [](std::shared_ptr<xz::core::Event> ev) -> Task<bool> {
    auto waited = within(ev->wait(), 5s);
    auto got = co_await std::move(waited);
    co_return got.has_value();
  };
  ASSERT_TRUE(run_in(ex(), wait(changed)));
  auto body = [&]() -> Task<void> {
    EXPECT_EQ(s->tools().back().name, "zeta");
    auto zeta = co_await call(*s, "zeta", "{}");
    EXPECT_EQ(zeta.text, "extra zeta");
    co_await s->close();
  };
  run_in(ex(), body());
}

TEST_F(McpHttpTest, AnExpiredSessionClosesTheConnection) {
  FakeMcpHttp fake;
  auto s = session(streamable(fake));
  auto closed = std::make_shared<xz::core::Event>(ex());
  auto reason = std::make_shared<std::string>();
  run_in(ex(), s->start());
  ASSERT_TRUE(fake.wait_for_streams(1, 5s));
  fake.expire_sessions();
  auto body = [&]() -> Task<void> {
    s->set_closed_handler([closed, reason](const std::string& r) {
      *reason = r;
      closed->set();
    });
    auto err = co_await call_error(*s, "echo", R"({"text": "x"})", 2000);
    // The POST's 404 or the notification stream's 404, whichever comes first.
    EXPECT_NE(err.find("MCP server 'web': "), std::string::npos) << err;
    EXPECT_TRUE(err.find("session expired") != std::string::npos || err.find("HTTP 404") != std::string::npos) << err;
    auto wait = within(closed->wait(), 5s);
    auto seen = co_await std::move(wait);
    EXPECT_TRUE(seen.has_value());
    EXPECT_NE(reason->find("404"), std::string::npos) << *reason;
    EXPECT_FALSE(s->is_open());
    co_await s->close();
  };
  run_in(ex(), body());
}

TEST_F(McpHttpTest, StatelessServerWithoutNotificationStream) {
  FakeMcpHttp fake(FakeMcpHttpOptions{.stateless = true, .get_stream = false});
  auto transport = streamable(fake);
  auto s = session(transport);
  auto body = [&]() -> Task<void> {
    co_await s->start();
    auto echo = co_await call(*s, "echo", R"({"text": "no session"})");
    EXPECT_EQ(echo.text, "no session");
    co_await s->close();
  };
  run_in(ex(), body());
  EXPECT_EQ(transport->session_id(), "");
  EXPECT_TRUE(fake.wait_for("GET", 1, 5s)) << "the client tries the GET stream once";
  EXPECT_EQ(fake.count("GET"), 1u) << "405 means: no stream, do not retry";
  EXPECT_EQ(fake.count("DELETE"), 0u);
}

TEST_F(McpHttpTest, LegacySse) {
  FakeMcpHttp fake;
  auto transport = legacy(fake);
  auto s = session(transport, "2024-11-05");
  auto changed = std::make_shared<xz::core::Event>(ex());
  auto body = [&]() -> Task<void> {
    co_await s->start();
    EXPECT_EQ(transport->endpoint(), "http://127.0.0.1:" + std::to_string(fake.port()) + "/messages/?session_id=L1");
    EXPECT_EQ(names(s->tools()), kFakeTools);
    EXPECT_EQ(s->protocol_version(), "2024-11-05");
    co_await exercise_tools(*s);
    // A list_changed on the stream refreshes the tools.
    s->set_tools_changed_handler([changed] { changed->set(); });
    auto added = co_await call(*s, "add_tool", R"({"name": "omega"})");
    EXPECT_EQ(added.text, "added");
    auto wait = within(changed->wait(), 5s);
    auto seen = co_await std::move(wait);
    EXPECT_TRUE(seen.has_value());
    EXPECT_EQ(s->tools().back().name, "omega");
  };
  run_in(ex(), body());
  for (const auto& r : fake.requests()) EXPECT_EQ(r.headers.at("x-api-key"), "k1") << r.target;

  // The server going away ends the session.
  auto closed = std::make_shared<xz::core::Event>(ex());
  run_in(ex(), [](std::shared_ptr<McpSession> s, std::shared_ptr<xz::core::Event> ev) -> Task<void> {
    s->set_closed_handler([ev](const std::string&) { ev->set(); });
    co_return;
  }(s, closed));
  fake.drop_streams();
  auto after = [&]() -> Task<void> {
    auto wait = within(closed->wait(), 5s);
    auto seen = co_await std::move(wait);
    EXPECT_TRUE(seen.has_value());
    EXPECT_FALSE(s->is_open());
    co_await s->close();
  };
  run_in(ex(), after());
}

TEST_F(McpHttpTest, LegacySseAgainstAWrongUrlFailsClearly) {
  FakeMcpHttp fake;
  SseTransportOptions o;
  o.name = "wrong";
  o.url = fake.streamable_url();  // an SSE stream that never names an endpoint
  o.timeout = 300ms;
  auto s = session(std::make_shared<SseTransport>(ex(), client, std::move(o)), "2024-11-05");
  auto body = [&]() -> Task<std::string> {
    try {
      co_await s->start();
    } catch (const McpError& e) {
      co_return e.what();
    }
    co_return "";
  };
  // GET /mcp without a session is refused with 400: a clear error, not a hang.
  auto err = run_in(ex(), body());
  EXPECT_NE(err.find("MCP server 'wrong': "), std::string::npos) << err;
  EXPECT_NE(err.find("HTTP 400"), std::string::npos) << err;
}

TEST_F(McpHttpTest, HubUsesTheSettingsFileFormat) {
  FakeMcpHttp fake;
  FakeMcpHttp legacy_fake;
  auto settings = Json::parse(R"({"mcpServers": {
      "modern": {"url": ")" + fake.streamable_url() + R"(", "transport": "streamable-http", "API_ACCESS_TOKEN": "tok"},
      "old": {"url": ")" + legacy_fake.sse_url() + R"("}}})");
  ServerMcpHubOptions opts;
  opts.backoff_min = 200ms;
  ServerMcpHub hub(ex(), parse_mcp_server_settings(settings, "test"), opts);
  xz::test::Signal signal;
  auto token = hub.on_tools_changed([&] { signal.notify(); });
  hub.start();
  ASSERT_TRUE(signal.wait_until([&] { return hub.tools()->size() == 10; }, 10s));
  auto tools = *hub.tools();
  EXPECT_NE(xz::test::find_tool(tools, "modern_echo"), nullptr);
  EXPECT_NE(xz::test::find_tool(tools, "old_echo"), nullptr);

  xz::core::Runtime users{1, 1};
  users.start();
  auto use = [](xz::tools::ToolPtr tool) -> Task<xz::tools::ToolResult> {
    auto ex = co_await boost::asio::this_coro::executor;
    xz::test::FakeSessionActions actions(ex);
    auto r = co_await xz::test::call_tool(*tool, R"({"text": "via hub"})", actions);
    co_return r;
  };
  auto modern = run_in(users.loop(0).get_executor(), use(xz::test::find_tool(tools, "modern_echo")));
  auto old = run_in(users.loop(0).get_executor(), use(xz::test::find_tool(tools, "old_echo")));
  EXPECT_EQ(modern.result, "via hub");
  EXPECT_EQ(old.result, "via hub");
  for (const auto& r : fake.requests()) EXPECT_EQ(r.headers.at("authorization"), "Bearer tok");
  run_in(users.loop(0).get_executor(), hub.shutdown());
}
