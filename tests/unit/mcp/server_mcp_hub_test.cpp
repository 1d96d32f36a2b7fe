// ServerMcpHub with real child processes: one child shared by sessions on several
// loops, restart with back-off, list_changed, timeouts, name clashes, shutdown.
// (Coroutine bodies keep every co_await in a statement of its own: g++ 12.)
#include <gtest/gtest.h>

#include "core/runtime.h"
#include "tools/mcp/server_mcp_hub.h"
#include "tools/tool_runner.h"
#include "unit/mcp/mcp_test_util.h"

using namespace std::chrono_literals;
using namespace xz::tools::mcp;
using xz::core::Task;
using xz::test::FakeSessionActions;
using xz::test::find_tool;
using xz::test::run_in;
using xz::test::Signal;
using xz::tools::Action;
using xz::tools::ToolPtr;
using xz::tools::ToolResult;

namespace {

const char* const kComm = "mcp_stdio_test_server";

McpServerSpec stdio_spec(std::string name, std::string command = xz::test::stdio_server_path(),
                         std::vector<std::string> args = {}) {
  McpServerSpec s;
  s.name = std::move(name);
  s.transport = McpTransportKind::stdio;
  s.command = std::move(command);
  s.args = std::move(args);
  return s;
}

ServerMcpHubOptions fast_options() {
  ServerMcpHubOptions o;
  o.init_timeout = 5s;
  o.call_timeout = 5s;
  o.backoff_min = 200ms;
  o.backoff_max = 800ms;
  o.exit_grace = 1s;
  return o;
}

// Notified on every change of the hub's tools or status.
struct HubWatch {
  explicit HubWatch(xz::tools::mcp::ServerMcpHub& hub) {
    token = hub.on_tools_changed([s = &signal] { s->notify(); });
  }
  Signal signal;
  std::shared_ptr<void> token;
};

// Calls the tool `times` times in a row from the calling loop, as a session would.
Task<std::vector<ToolResult>> use_tool(ToolPtr tool, const char* args_json, int times) {
  auto ex = co_await boost::asio::this_coro::executor;
  FakeSessionActions actions(ex);
  std::vector<ToolResult> out;
  for (int i = 0; i < times; ++i) {
    auto r = co_await xz::test::call_tool(*tool, args_json, actions);
    out.push_back(std::move(r));
  }
  co_return out;
}

ToolResult call_once(boost::asio::any_io_executor ex, ToolPtr tool, const char* args_json) {
  auto results = run_in(ex, use_tool(std::move(tool), args_json, 1));
  return results.at(0);
}

class ServerMcpHubTest : public ::testing::Test {
 protected:
  void SetUp() override { rt.start(); }
  boost::asio::any_io_executor hub_ex() { return rt.loop(0).get_executor(); }
  boost::asio::any_io_executor user_ex(int i) { return rt.loop(1 + i).get_executor(); }

  void shutdown(ServerMcpHub& hub) { run_in(user_ex(0), hub.shutdown()); }

  xz::core::Runtime rt{3, 1};
};

}  // namespace

TEST_F(ServerMcpHubTest, OneChildServesSessionsOnTwoLoops) {
  ServerMcpHub hub(hub_ex(), {stdio_spec("tester")}, fast_options());
  HubWatch watch(hub);
  auto t0 = xz::core::Clock::now();
  hub.start();
  EXPECT_LT(xz::core::Clock::now() - t0, 100ms) << "start() must not wait for the servers";
  ASSERT_TRUE(watch.signal.wait_until([&] { return hub.tools()->size() == 10; }, 10s));
  auto status = hub.status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_TRUE(status[0].connected);
  ASSERT_TRUE(status[0].pid.has_value());
  const std::string pid = std::to_string(*status[0].pid);

  ToolPtr pid_tool = find_tool(*hub.tools(), "pid");
  ASSERT_NE(pid_tool, nullptr);
  // Two sessions on two other loops call at the same time.
  auto first = boost::asio::co_spawn(user_ex(0), use_tool(pid_tool, "{}", 20), boost::asio::use_future);
  auto second = boost::asio::co_spawn(user_ex(1), use_tool(pid_tool, "{}", 20), boost::asio::use_future);
  for (auto* fut : {&first, &second}) {
    ASSERT_EQ(fut->wait_for(20s), std::future_status::ready);
    for (const auto& r : fut->get()) {
      EXPECT_EQ(r.action, Action::reqllm);
      EXPECT_EQ(r.result, pid);
    }
  }
  EXPECT_EQ(xz::test::child_pids(kComm), std::vector<int>{*status[0].pid}) << "exactly one child process";

  shutdown(hub);
  EXPECT_TRUE(hub.tools()->empty());
  EXPECT_TRUE(xz::test::child_pids(kComm).empty()) << "shutdown() terminates and reaps the child";
  EXPECT_FALSE(xz::test::process_exists(*status[0].pid));
}

TEST_F(ServerMcpHubTest, RestartsACrashedServerWithBackoff) {
  ServerMcpHub hub(hub_ex(), {stdio_spec("tester")}, fast_options());
  HubWatch watch(hub);
  hub.start();
  auto connects_reach = [&](std::size_t n) {
    return watch.signal.wait_until([&] { return hub.status()[0].connects >= n && hub.tools()->size() == 10; }, 10s);
  };
  ASSERT_TRUE(connects_reach(1));
  const int pid1 = *hub.status()[0].pid;

  auto t0 = xz::core::Clock::now();
  auto crashed = call_once(user_ex(0), find_tool(*hub.tools(), "crash"), "{}");
  EXPECT_EQ(crashed.action, Action::error);
  EXPECT_NE(crashed.result.find("connection lost"), std::string::npos) << crashed.result;
  EXPECT_EQ(crashed.response, xz::tools::kToolFailedResponse);
  ASSERT_TRUE(connects_reach(2));
  auto first_gap = xz::core::Clock::now() - t0;
  const int pid2 = *hub.status()[0].pid;
  EXPECT_NE(pid1, pid2);
  EXPECT_FALSE(xz::test::process_exists(pid1));
  EXPECT_GE(first_gap, 200ms);

  // A second crash soon after waits twice as long.
  t0 = xz::core::Clock::now();
  call_once(user_ex(1), find_tool(*hub.tools(), "crash"), "{}");
  ASSERT_TRUE(connects_reach(3));
  auto second_gap = xz::core::Clock::now() - t0;
  EXPECT_GE(second_gap, 400ms);
  EXPECT_EQ(xz::test::child_pids(kComm), std::vector<int>{*hub.status()[0].pid});

  auto echo = call_once(user_ex(0), find_tool(*hub.tools(), "echo"), R"({"text": "back"})");
  EXPECT_EQ(echo.result, "back");
  shutdown(hub);
}

TEST_F(ServerMcpHubTest, ListChangedUpdatesTheSharedList) {
  ServerMcpHub hub(hub_ex(), {stdio_spec("tester")}, fast_options());
  HubWatch watch(hub);
  hub.start();
  ASSERT_TRUE(watch.signal.wait_until([&] { return hub.tools()->size() == 10; }, 10s));
  auto version = hub.tools_version();
  auto r = call_once(user_ex(0), find_tool(*hub.tools(), "change_tools"), "{}");
  EXPECT_EQ(r.result, "changed");
  ASSERT_TRUE(watch.signal.wait_until([&] { return find_tool(*hub.tools(), "extra") != nullptr; }, 10s));
  EXPECT_GT(hub.tools_version(), version);
  EXPECT_EQ(hub.tools()->size(), 11u);
  auto extra = call_once(user_ex(1), find_tool(*hub.tools(), "extra"), "{}");
  EXPECT_EQ(extra.result, "extra tool");
  shutdown(hub);
}

TEST_F(ServerMcpHubTest, ResultsAreMappedAndTimeoutsAreErrors) {
  auto opts = fast_options();
  opts.call_timeout = 300ms;
  ServerMcpHub hub(hub_ex(), {stdio_spec("tester")}, opts);
  HubWatch watch(hub);
  hub.start();
  ASSERT_TRUE(watch.signal.wait_until([&] { return hub.tools()->size() == 10; }, 10s));

  auto t0 = xz::core::Clock::now();
  auto slow = call_once(user_ex(0), find_tool(*hub.tools(), "slow"), R"({"ms": 3000})");
  EXPECT_LT(xz::core::Clock::now() - t0, 2000ms);
  EXPECT_EQ(slow.action, Action::error);
  EXPECT_EQ(slow.result, "error: MCP server 'tester': tools/call slow timed out after 300 ms");

  auto speak = call_once(user_ex(0), find_tool(*hub.tools(), "speak"), "{}");
  EXPECT_EQ(speak.action, Action::response);
  EXPECT_EQ(speak.response, "Hello from the tool");
  auto fail = call_once(user_ex(1), find_tool(*hub.tools(), "fail"), "{}");
  EXPECT_EQ(fail.action, Action::error);
  EXPECT_EQ(fail.result, "error: it broke");
  auto add = call_once(user_ex(1), find_tool(*hub.tools(), "add"), R"({"a": 1, "b": 2})");
  EXPECT_EQ(add.action, Action::reqllm);
  EXPECT_EQ(add.result, "3.0");
  shutdown(hub);
}

TEST_F(ServerMcpHubTest, ClashingNamesArePrefixedAndCallsReachTheirServer) {
  ServerMcpHub hub(hub_ex(), {stdio_spec("a"), stdio_spec("b")}, fast_options());
  HubWatch watch(hub);
  hub.start();
  ASSERT_TRUE(watch.signal.wait_until([&] { return hub.tools()->size() == 20; }, 10s));
  EXPECT_EQ(find_tool(*hub.tools(), "pid"), nullptr);
  auto status = hub.status();
  ASSERT_EQ(status.size(), 2u);
  auto a = call_once(user_ex(0), find_tool(*hub.tools(), "a_pid"), "{}");
  auto b = call_once(user_ex(1), find_tool(*hub.tools(), "b_pid"), "{}");
  EXPECT_EQ(a.result, std::to_string(*status[0].pid));
  EXPECT_EQ(b.result, std::to_string(*status[1].pid));
  EXPECT_NE(a.result, b.result);
  EXPECT_EQ(xz::test::child_pids(kComm).size(), 2u);
  shutdown(hub);
  EXPECT_TRUE(xz::test::child_pids(kComm).empty());
}

TEST_F(ServerMcpHubTest, ABrokenServerKeepsBeingRetriedInTheBackground) {
  auto opts = fast_options();
  opts.init_timeout = 300ms;
  opts.exit_grace = 100ms;
  // `sleep` starts fine but never answers initialize; the other command does not exist.
  ServerMcpHub hub(hub_ex(), {stdio_spec("mute", "sleep", {"60"}), stdio_spec("ghost", "/nonexistent/ghost-server")},
                   opts);
  HubWatch watch(hub);
  hub.start();
  ASSERT_TRUE(watch.signal.wait_until(
      [&] {
        auto s = hub.status();
        return s[0].attempts >= 2 && s[1].attempts >= 3;
      },
      10s));
  auto s = hub.status();
  EXPECT_FALSE(s[0].connected);
  EXPECT_EQ(s[0].last_error, "MCP server 'mute': initialize timed out after 300 ms");
  EXPECT_NE(s[1].last_error.find("cannot run '/nonexistent/ghost-server'"), std::string::npos) << s[1].last_error;
  EXPECT_TRUE(hub.tools()->empty());
  EXPECT_LE(xz::test::child_pids("sleep").size(), 1u) << "a failed attempt's child is terminated";
  shutdown(hub);
  EXPECT_TRUE(xz::test::child_pids("sleep").empty());
}

TEST_F(ServerMcpHubTest, NoServersIsFine) {
  ServerMcpHub hub(hub_ex(), {}, fast_options());
  hub.start();
  EXPECT_EQ(hub.server_count(), 0u);
  EXPECT_TRUE(hub.tools()->empty());
  shutdown(hub);
}
