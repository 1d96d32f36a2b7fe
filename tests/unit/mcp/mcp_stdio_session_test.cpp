// McpSession over the stdio transport, against the real test server program.
// (Coroutine bodies keep every co_await in a statement of its own: g++ 12 miscompiles
// temporaries that share a full-expression with co_await.)
#include <signal.h>

#include <gtest/gtest.h>

#include "core/runtime.h"
#include "tools/mcp/deadline.h"
#include "tools/mcp/mcp_session.h"
#include "tools/mcp/mcp_tool_result.h"
#include "tools/mcp/stdio_transport.h"
#include "unit/mcp/mcp_test_util.h"

using namespace std::chrono_literals;
using namespace xz::tools::mcp;
using xz::core::Task;
using xz::test::run_in;
using Json = nlohmann::json;
using Outcome = xz::protocol::McpCallOutcome;

namespace {

class StdioSessionTest : public ::testing::Test {
 protected:
  void SetUp() override { rt.start(); }
  boost::asio::any_io_executor ex() { return rt.loop(0).get_executor(); }

  std::shared_ptr<StdioTransport> make_transport(std::vector<std::string> args = {},
                                                 std::chrono::milliseconds grace = 2000ms) {
    StdioTransportOptions o;
    o.name = "tester";
    o.child.command = xz::test::stdio_server_path();
    o.child.args = std::move(args);
    o.child.env = {{"XZ_MCP_TEST_VAR", "hello-env"}};
    o.exit_grace = grace;
    return std::make_shared<StdioTransport>(ex(), std::move(o));
  }

  std::shared_ptr<McpSession> make_session(std::shared_ptr<McpTransport> t) {
    McpSessionOptions o;
    o.label = "MCP server 'tester'";
    return McpSession::create(ex(), std::move(t), o);
  }

  xz::core::Runtime rt{1, 1};
};

std::vector<std::string> names(const std::vector<xz::protocol::McpTool>& tools) {
  std::vector<std::string> out;
  for (const auto& t : tools) out.push_back(t.name);
  return out;
}

// Plain parameters only (see the note at the top).
Task<Outcome> call(McpSession& s, const char* name, const char* args_json, int timeout_ms = 5000) {
  std::string tool = name;
  Json args = Json::parse(args_json);
  auto r = co_await s.call_tool(std::move(tool), std::move(args), std::chrono::milliseconds(timeout_ms));
  co_return r;
}

// The error text of a call that must fail ("" when it did not).
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

}  // namespace

TEST_F(StdioSessionTest, InitializesListsBothPagesAndCallsTools) {
  auto transport = make_transport();
  auto session = make_session(transport);
  auto body = [&]() -> Task<void> {
    co_await session->start();
    EXPECT_EQ(names(session->tools()), (std::vector<std::string>{"echo", "add", "pid", "slow", "env", "crash",
                                                                  "change_tools", "fail", "speak", "ask_client"}));
    EXPECT_EQ(session->server_info().value("name", ""), "mcp-stdio-test");
    EXPECT_EQ(session->protocol_version(), "2024-11-05");

    auto echo = co_await call(*session, "echo", R"({"text": "hi there"})");
    EXPECT_TRUE(echo.ok);
    EXPECT_EQ(echo.text, "hi there");
    auto add = co_await call(*session, "add", R"({"a": 2, "b": 3.5})");
    EXPECT_EQ(add.text, "5.5");
    // The configured env is set over the allow-listed part of ours: both are visible.
    auto mine = co_await call(*session, "env", R"({"name": "XZ_MCP_TEST_VAR"})");
    EXPECT_EQ(mine.text, "hello-env");
    auto inherited = co_await call(*session, "env", R"({"name": "PATH"})");
    EXPECT_NE(inherited.text, "(unset)");

    auto fail = co_await call(*session, "fail", "{}");
    EXPECT_FALSE(fail.ok);
    EXPECT_EQ(fail.text, "it broke");
    EXPECT_EQ(tool_result_from_mcp(fail).action, xz::tools::Action::error);

    auto speak_outcome = co_await call(*session, "speak", "null");
    auto speak = tool_result_from_mcp(speak_outcome);
    EXPECT_EQ(speak.action, xz::tools::Action::response);
    EXPECT_EQ(speak.response, "Hello from the tool");

    auto unknown = co_await call(*session, "no_such_tool", "{}");
    EXPECT_FALSE(unknown.ok);
    EXPECT_NE(unknown.text.find("Unknown tool"), std::string::npos);

    auto bad_args = co_await call_error(*session, "echo", "[1]", 1000);
    EXPECT_NE(bad_args.find("arguments must be a JSON object"), std::string::npos) << bad_args;
    co_await session->close();
  };
  run_in(ex(), body());
  EXPECT_FALSE(transport->pid().has_value());
}

TEST_F(StdioSessionTest, OurSecretsReachTheServerOnlyWhenItsEnvNamesThem) {
  ::setenv("OPENAI_API_KEY", "sk-server-secret", 1);
  ::setenv("XZ_MCP_TEST_TOKEN", "token-from-our-environment", 1);
  auto transport = make_transport();
  auto session = make_session(transport);
  auto body = [&]() -> Task<std::vector<std::string>> {
    co_await session->start();
    std::vector<std::string> seen;
    for (const char* args : {R"({"name": "OPENAI_API_KEY"})", R"({"name": "XZ_MCP_TEST_TOKEN"})",
                             R"({"name": "XZ_MCP_TEST_VAR"})"}) {
      auto r = co_await call(*session, "env", args);
      seen.push_back(r.text);
    }
    co_await session->close();
    co_return seen;
  };
  auto seen = run_in(ex(), body());
  ::unsetenv("OPENAI_API_KEY");
  ::unsetenv("XZ_MCP_TEST_TOKEN");
  EXPECT_EQ(seen, (std::vector<std::string>{"(unset)", "(unset)", "hello-env"}));
}

TEST_F(StdioSessionTest, ServerRequestsAreDeclined) {
  auto session = make_session(make_transport());
  auto body = [&]() -> Task<std::string> {
    co_await session->start();
    auto r = co_await call(*session, "ask_client", "{}");
    co_await session->close();
    co_return r.text;
  };
  EXPECT_EQ(run_in(ex(), body()), "client answered: error -32601: Method not found: sampling/createMessage");
}

TEST_F(StdioSessionTest, HostileMessagesCostOnlyThemselves) {
  auto transport = make_transport();
  auto session = make_session(transport);
  auto body = [&]() -> Task<void> {
    co_await session->start();
    const int pid = *transport->pid();
    // support/hostile_mcp.h's lines (a level that is a number, an unknown id, a line that
    // is not JSON, 25,000-deep JSON, ...) come first; each is skipped, the answer is taken.
    auto echo = co_await call(*session, "echo", R"({"text": "after the noise", "hostile": true})");
    EXPECT_TRUE(echo.ok);
    EXPECT_EQ(echo.text, "after the noise");
    auto again = co_await call(*session, "echo", R"({"text": "still reading"})");
    EXPECT_EQ(again.text, "still reading");
    EXPECT_TRUE(session->is_open());
    EXPECT_EQ(transport->pid(), pid);
    co_await session->close();
  };
  run_in(ex(), body());
}

TEST_F(StdioSessionTest, TimeoutsAndOutOfOrderAnswers) {
  auto session = make_session(make_transport());
  auto body = [&]() -> Task<void> {
    using namespace boost::asio::experimental::awaitable_operators;
    co_await session->start();
    auto t0 = xz::core::Clock::now();
    auto err = co_await call_error(*session, "slow", R"({"ms": 3000})", 200);
    auto took = xz::core::Clock::now() - t0;
    EXPECT_EQ(err, "MCP server 'tester': tools/call slow timed out after 200 ms");
    EXPECT_GE(took, 200ms);
    EXPECT_LT(took, 2000ms);
    EXPECT_EQ(session->pending_requests(), 0u);

    // A slow answer and a quick one in flight together: each is matched by its id.
    auto slow = call(*session, "slow", R"({"ms": 300})");
    auto quick = call(*session, "echo", R"({"text": "quick"})");
    auto both = std::move(slow) && std::move(quick);
    auto answers = co_await std::move(both);
    EXPECT_EQ(std::get<0>(answers).text, "slept 300");
    EXPECT_EQ(std::get<1>(answers).text, "quick");
    co_await session->close();
  };
  run_in(ex(), body());
}

TEST_F(StdioSessionTest, ListChangedRefreshesTheTools) {
  auto session = make_session(make_transport());
  auto changed = std::make_shared<xz::core::Event>(ex());
  auto body = [&]() -> Task<void> {
    co_await session->start();
    session->set_tools_changed_handler([changed] { changed->set(); });
    EXPECT_EQ(session->tools().size(), 10u);
    auto r = co_await call(*session, "change_tools", "{}");
    EXPECT_EQ(r.text, "changed");
    auto wait = within(changed->wait(), 5s);
    auto refreshed = co_await std::move(wait);
    EXPECT_TRUE(refreshed.has_value()) << "no refresh after list_changed";
    EXPECT_EQ(session->tools().size(), 11u);
    EXPECT_EQ(session->tools().back().name, "extra");
    auto extra = co_await call(*session, "extra", "{}");
    EXPECT_EQ(extra.text, "extra tool");
    co_await session->close();
  };
  run_in(ex(), body());
}

TEST_F(StdioSessionTest, ACrashFailsCallsAndIsReported) {
  auto transport = make_transport();
  auto session = make_session(transport);
  auto closed = std::make_shared<xz::core::Event>(ex());
  auto reason = std::make_shared<std::string>();
  auto body = [&]() -> Task<void> {
    co_await session->start();
    session->set_closed_handler([closed, reason](const std::string& r) {
      *reason = r;
      closed->set();
    });
    int pid = *transport->pid();
    auto err = co_await call_error(*session, "crash", "{}", 5000);
    EXPECT_NE(err.find("connection lost"), std::string::npos) << err;
    auto wait = within(closed->wait(), 5s);
    auto seen = co_await std::move(wait);
    EXPECT_TRUE(seen.has_value());
    EXPECT_NE(reason->find("exit status 3"), std::string::npos) << *reason;
    EXPECT_FALSE(session->is_open());
    EXPECT_FALSE(xz::test::process_exists(pid)) << "the child must be reaped";
    auto after = co_await call_error(*session, "echo", "{}", 1000);
    EXPECT_NE(after.find("not connected"), std::string::npos) << after;
    co_await session->close();
  };
  run_in(ex(), body());
}

TEST_F(StdioSessionTest, CloseEscalatesToSigkillForAStubbornChild) {
  auto transport = make_transport({"--ignore-stdin-eof", "--ignore-sigterm"}, 200ms);
  auto session = make_session(transport);
  auto body = [&]() -> Task<void> {
    co_await session->start();
    int pid = *transport->pid();
    auto t0 = xz::core::Clock::now();
    co_await session->close();
    auto took = xz::core::Clock::now() - t0;
    EXPECT_GE(took, 400ms) << "stdin EOF and SIGTERM each get their grace period";
    EXPECT_LT(took, 3000ms);
    EXPECT_FALSE(xz::test::process_exists(pid));
  };
  run_in(ex(), body());
}

TEST_F(StdioSessionTest, ClosingStdinEndsAPoliteChildQuickly) {
  auto transport = make_transport({}, 5000ms);
  auto session = make_session(transport);
  auto body = [&]() -> Task<void> {
    co_await session->start();
    int pid = *transport->pid();
    auto t0 = xz::core::Clock::now();
    co_await session->close();
    EXPECT_LT(xz::core::Clock::now() - t0, 2000ms);
    EXPECT_FALSE(xz::test::process_exists(pid));
  };
  run_in(ex(), body());
}

TEST_F(StdioSessionTest, AMissingProgramIsAClearError) {
  StdioTransportOptions o;
  o.name = "ghost";
  o.child.command = "/nonexistent/mcp-server-ghost";
  auto session = make_session(std::make_shared<StdioTransport>(ex(), std::move(o)));
  auto body = [&]() -> Task<std::string> {
    try {
      co_await session->start();
    } catch (const McpError& e) {
      co_return e.what();
    }
    co_return "";
  };
  std::string err = run_in(ex(), body());
  EXPECT_NE(err.find("MCP server 'ghost': cannot run '/nonexistent/mcp-server-ghost'"), std::string::npos) << err;
}
