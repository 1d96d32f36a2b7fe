// McpEndpointClient against a local WebSocket server (net::HttpServer) that speaks MCP
// like an endpoint (接入点) would.
// (Coroutine bodies keep every co_await in a statement of its own: g++ 12.)
#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>

#include "core/runtime.h"
#include "net/http_server.h"
#include "net/websocket.h"
#include "support/hostile_mcp.h"
#include "tools/mcp/mcp_endpoint_client.h"
#include "tools/mcp/mcp_transport.h"
#include "unit/mcp/mcp_test_util.h"

using namespace std::chrono_literals;
using namespace xz::tools::mcp;
using xz::core::Task;
using xz::test::run_in;
using xz::test::Signal;
using xz::tools::Action;
using xz::tools::ToolPtr;
using Json = nlohmann::json;

namespace {

// What the fake endpoint saw; shared with its connection coroutines.
struct EndpointState {
  std::mutex mu;
  std::vector<std::string> targets;       // of the upgrade requests
  std::vector<std::string> client_names;  // initialize clientInfo.name
  int connections = 0;
  int disconnects = 0;
  Signal signal;

  template <class Fn>
  void update(Fn fn) {
    {
      std::lock_guard lk(mu);
      fn();
    }
    signal.notify();
  }
};

Json tool(const std::string& name) {
  return {{"name", name}, {"description", "endpoint tool " + name}, {"inputSchema", {{"type", "object"}}}};
}

Json text_result(const Json& id, const std::string& text) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", {{"content", Json::array({{{"type", "text"}, {"text", text}}})}}}};
}

// One endpoint connection: initialize, two pages of tools, and calls.
Task<void> serve_mcp(std::shared_ptr<xz::net::WebSocket> ws, std::shared_ptr<EndpointState> state) {
  bool extra = false;
  for (;;) {
    auto msg = co_await ws->read();
    if (!msg) break;
    Json m = Json::parse(msg->data, nullptr, false);
    if (!m.is_object() || !m.contains("method") || !m.contains("id")) continue;
    const std::string method = m["method"];
    const Json id = m["id"];
    const Json params = m.value("params", Json::object());
    if (method == "initialize") {
      std::string name = params.value("clientInfo", Json::object()).value("name", "");
      state->update([&] { state->client_names.push_back(name); });
      Json r = {{"protocolVersion", "2024-11-05"},
                {"capabilities", {{"tools", Json::object()}}},
                {"serverInfo", {{"name", "fake-endpoint"}, {"version", "1"}}}};
      ws->send_text(Json{{"jsonrpc", "2.0"}, {"id", id}, {"result", r}}.dump());
    } else if (method == "tools/list") {
      Json r;
      if (params.value("cursor", "").empty()) {
        r = {{"tools", {tool("lights_on"), tool("speak"), tool("add")}}, {"nextCursor", "2"}};
      } else {
        r = {{"tools", {tool("slow"), tool("drop")}}};
        if (extra) r["tools"].push_back(tool("extra"));
      }
      ws->send_text(Json{{"jsonrpc", "2.0"}, {"id", id}, {"result", r}}.dump());
    } else if (method == "tools/call") {
      const std::string name = params.value("name", "");
      if (name == "lights_on") {
        if (params.value("arguments", Json::object()).value("hostile", false))
          for (const auto& bad : xz::test::hostile_mcp_messages()) ws->send_text(bad);
        ws->send_text(text_result(id, "lights are on in the " + params.value("arguments", Json::object()).value("room", "?")).dump());
      } else if (name == "speak") {
        ws->send_text(text_result(id, R"({"action":"RESPONSE","response":"Endpoint says hi"})").dump());
      } else if (name == "add") {
        extra = true;
        ws->send_text(text_result(id, "added").dump());
        ws->send_text(Json{{"jsonrpc", "2.0"}, {"method", "notifications/tools/list_changed"}}.dump());
      } else if (name == "drop") {
        ws->abort();  // the endpoint goes away mid-call
      }  // "slow": never answered
    }
  }
  state->update([&] { ++state->disconnects; });
}

class McpEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_rt.start();
    client_rt.start();
    auto router = std::make_shared<xz::net::HttpRouter>();
    xz::net::HttpServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    server = std::make_unique<xz::net::HttpServer>(server_rt, o, router);
    auto st = state;
    server->set_websocket_handler([st](std::shared_ptr<xz::net::WebSocket> ws, xz::net::HttpRequest req) {
      st->update([&] {
        st->targets.push_back(req.target);
        ++st->connections;
      });
      auto ex = ws->executor();
      boost::asio::co_spawn(ex, serve_mcp(std::move(ws), st), boost::asio::detached);
    });
    server->start();
  }
  void TearDown() override {
    if (server) server->stop_accepting();
  }

  boost::asio::any_io_executor session_ex() { return client_rt.loop(0).get_executor(); }
  std::string configured_url() const {
    return "ws://127.0.0.1:" + std::to_string(server->port()) + "/mcp/?token=abc";
  }

  // The client lives on the session's loop, as in a device session.
  std::unique_ptr<McpEndpointClient> make_client(McpEndpointOptions opts) {
    auto url = mcp_endpoint_call_url(configured_url());
    opts.url = *url;
    auto c = std::make_unique<McpEndpointClient>(session_ex(), opts, xz::core::SessionLog("aa:bb", "s1"));
    auto latest = latest_tools;
    auto sig = &tools_signal;
    c->set_tools_handler([latest, sig](std::vector<ToolPtr> tools) {
      {
        std::lock_guard lk(latest->mu);
        latest->tools = std::move(tools);
        ++latest->updates;
      }
      sig->notify();
    });
    auto* raw = c.get();
    run_in(session_ex(), [](McpEndpointClient* client) -> Task<void> {
      client->start();
      co_return;
    }(raw));
    return c;
  }

  std::vector<ToolPtr> tools() {
    std::lock_guard lk(latest_tools->mu);
    return latest_tools->tools;
  }

  void close(McpEndpointClient& c) { run_in(session_ex(), c.close()); }

  xz::tools::ToolResult call(const std::string& name, const char* args_json) {
    ToolPtr t = xz::test::find_tool(tools(), name);
    if (!t) throw std::runtime_error("no tool " + name);
    auto use = [](ToolPtr tool, const char* args) -> Task<xz::tools::ToolResult> {
      auto ex = co_await boost::asio::this_coro::executor;
      xz::test::FakeSessionActions actions(ex);
      auto r = co_await xz::test::call_tool(*tool, args, actions);
      co_return r;
    };
    return run_in(session_ex(), use(std::move(t), args_json));
  }

  struct Latest {
    std::mutex mu;
    std::vector<ToolPtr> tools;
    int updates = 0;
  };

  xz::core::Runtime server_rt{1, 1};
  xz::core::Runtime client_rt{1, 1};
  std::unique_ptr<xz::net::HttpServer> server;
  std::shared_ptr<EndpointState> state = std::make_shared<EndpointState>();
  std::shared_ptr<Latest> latest_tools = std::make_shared<Latest>();
  Signal tools_signal;
};

}  // namespace

TEST_F(McpEndpointTest, ConnectsListsPagesAndCalls) {
  McpEndpointOptions opts;
  opts.call_timeout = 300ms;
  auto client = make_client(opts);
  ASSERT_TRUE(tools_signal.wait_until([&] { return tools().size() == 5; }, 10s));
  {
    std::lock_guard lk(state->mu);
    ASSERT_EQ(state->targets.size(), 1u);
    EXPECT_EQ(state->targets[0], "/call/?token=abc") << "/mcp/ is rewritten to /call/";
    EXPECT_EQ(state->client_names, std::vector<std::string>{"XiaozhiMCPEndpointClient"});
  }
  auto lights = call("lights_on", R"({"room": "kitchen"})");
  EXPECT_EQ(lights.action, Action::reqllm);
  EXPECT_EQ(lights.result, "lights are on in the kitchen");
  auto speak = call("speak", "{}");
  EXPECT_EQ(speak.action, Action::response);
  EXPECT_EQ(speak.response, "Endpoint says hi");
  auto t0 = xz::core::Clock::now();
  auto slow = call("slow", "{}");
  EXPECT_LT(xz::core::Clock::now() - t0, 2000ms);
  EXPECT_EQ(slow.action, Action::error);
  EXPECT_EQ(slow.result, "error: MCP endpoint: tools/call slow timed out after 300 ms");

  auto added = call("add", "{}");
  EXPECT_EQ(added.result, "added");
  ASSERT_TRUE(tools_signal.wait_until([&] { return xz::test::find_tool(tools(), "extra") != nullptr; }, 10s));

  close(*client);
  EXPECT_TRUE(state->signal.wait_until(
      [&] {
        std::lock_guard lk(state->mu);
        return state->disconnects == 1;
      },
      5s));
}

TEST_F(McpEndpointTest, HostileMessagesCostOnlyThemselves) {
  McpEndpointOptions opts;
  auto client = make_client(opts);
  ASSERT_TRUE(tools_signal.wait_until([&] { return tools().size() == 5; }, 10s));
  // Each hostile message is skipped; the answer after them still arrives, on the same socket.
  auto lights = call("lights_on", R"({"room": "attic", "hostile": true})");
  EXPECT_EQ(lights.action, Action::reqllm);
  EXPECT_EQ(lights.result, "lights are on in the attic");
  auto again = call("lights_on", R"({"room": "hall"})");
  EXPECT_EQ(again.result, "lights are on in the hall");
  {
    std::lock_guard lk(state->mu);
    EXPECT_EQ(state->connections, 1);
    EXPECT_EQ(state->disconnects, 0);
  }
  close(*client);
}

TEST_F(McpEndpointTest, ReconnectsWhenTheSocketDrops) {
  McpEndpointOptions opts;
  opts.backoff_min = 100ms;
  auto client = make_client(opts);
  ASSERT_TRUE(tools_signal.wait_until([&] { return tools().size() == 5; }, 10s));

  auto dropped = call("drop", "{}");
  EXPECT_EQ(dropped.action, Action::error);
  EXPECT_NE(dropped.result.find("connection lost"), std::string::npos) << dropped.result;
  // The list empties while the endpoint is gone, then comes back with a new connection.
  ASSERT_TRUE(state->signal.wait_until(
      [&] {
        std::lock_guard lk(state->mu);
        return state->connections == 2;
      },
      10s));
  ASSERT_TRUE(tools_signal.wait_until(
      [&] {
        std::lock_guard lk(latest_tools->mu);
        return latest_tools->tools.size() == 5 && latest_tools->updates >= 3;
      },
      10s));
  EXPECT_EQ(run_in(session_ex(), [](McpEndpointClient* c) -> Task<std::size_t> { co_return c->connects(); }(client.get())),
            2u);
  auto lights = call("lights_on", R"({"room": "hall"})");
  EXPECT_EQ(lights.result, "lights are on in the hall");

  close(*client);
  EXPECT_TRUE(state->signal.wait_until(
      [&] {
        std::lock_guard lk(state->mu);
        return state->disconnects == 2;
      },
      5s));
  std::lock_guard lk(state->mu);
  EXPECT_EQ(state->connections, 2) << "no reconnect after close()";
}

TEST_F(McpEndpointTest, AnUnreachableEndpointKeepsRetryingWithoutTools) {
  McpEndpointOptions opts;
  opts.backoff_min = 50ms;
  opts.backoff_max = 100ms;
  opts.url = "ws://127.0.0.1:1/call/?token=x";  // nothing listens on port 1
  auto c = std::make_unique<McpEndpointClient>(session_ex(), opts, xz::core::SessionLog("aa:bb", "s2"));
  Signal updates;
  c->set_tools_handler([&](std::vector<ToolPtr> tools) {
    EXPECT_TRUE(tools.empty());
    updates.notify();
  });
  run_in(session_ex(), [](McpEndpointClient* client) -> Task<void> {
    client->start();
    co_return;
  }(c.get()));
  EXPECT_TRUE(updates.wait_for_count(3, 5s)) << "each failed attempt is reported";
  run_in(session_ex(), c->close());
}
