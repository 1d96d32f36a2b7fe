// Agents in the database and their /api/v1 routes, end to end over real sockets: CRUD
// with revisions (409 on an old one), 422 naming the field the configuration cannot
// run, binding by the code a device speaks, and a device assigned an agent whose next
// turn's system prompt (seen by the local OpenAI fake) follows the agent, while an
// unbound device keeps the default and devices on one agent share its engines.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "sim/sim_device.h"
#include "support/child_process.h"
#include "support/fake_openai.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::DeviceProfile;
using xz::sim::SimDevice;
using xz::test::ClientLoop;
using xz::test::FakeOpenAi;
using xz::test::http_request;
using xz::test::TestServer;

namespace {

using Overrides = std::vector<std::pair<std::string, json>>;

constexpr const char* kToken = "agents-test-token-0123456789abcdef0123";

struct Answer {
  int status = 0;
  json body;
};

Answer api(const TestServer& s, const std::string& method, const std::string& path, const json& body = nullptr,
           const std::string& token = kToken) {
  std::vector<std::pair<std::string, std::string>> h = {{"Content-Type", "application/json"}};
  if (!token.empty()) h.push_back({"Authorization", "Bearer " + token});
  auto r = http_request(s.http_port(), method, path, body.is_null() ? std::string() : body.dump(), h);
  return {r.status, json::parse(r.body, nullptr, false)};
}

// The firmware's OTA check: the server records the device.
void ota_check(const TestServer& s, const std::string& device) {
  auto r = http_request(s.http_port(), "POST", "/xiaozhi/ota/",
                        R"({"application":{"version":"2.4.2"},"board":{"type":"bread-compact-wifi"}})",
                        {{"Device-Id", device},
                         {"Client-Id", "5c1a1c2e-8a8f-4d57-9e8b-2f9f0c0f3a11"},
                         {"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 200) << r.body;
}

std::string system_prompt(const xz::test::FakeRequest& r) {
  const auto& m = r.json["messages"];
  return m.empty() || m[0].value("role", "") != "system" ? "" : m[0].value("content", "");
}

}  // namespace

TEST(AgentsApi, CrudWithRevisionsAndRefusalsNamingTheField) {
  TestServer s(Overrides{{"server.admin_token", kToken}});

  EXPECT_EQ(api(s, "GET", "/api/v1/agents", nullptr, "").status, 401);
  EXPECT_EQ(api(s, "GET", "/api/v1/agents", nullptr, "wrong").status, 403);
  EXPECT_EQ(api(s, "POST", "/api/v1/agents", {{"name", "x"}}, "").status, 401);

  auto made = api(s, "POST", "/api/v1/agents",
                  {{"name", "Pirate"},
                   {"prompt", "You are a pirate."},
                   {"engines", {{"tts", "FliteTTS"}, {"llm", "OpenAILLM"}}},
                   {"functions", {{"get_weather", json::object()}}},
                   {"replacement_words", {"Xiaozhi|Shao Jr"}},
                   {"template", true}});
  ASSERT_EQ(made.status, 201) << made.body;
  const auto id = made.body["id"].get<std::int64_t>();
  const std::string path = "/api/v1/agents/" + std::to_string(id);
  EXPECT_EQ(made.body["revision"], 1);
  EXPECT_EQ(made.body["engines"]["tts"], "FliteTTS");

  auto one = api(s, "GET", path);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.body, made.body);
  EXPECT_EQ(api(s, "GET", "/api/v1/agents?search=pIRa").body["agents"].size(), 1u);
  EXPECT_EQ(api(s, "GET", "/api/v1/agents?search=nobody").body["agents"].size(), 0u);
  EXPECT_EQ(api(s, "GET", "/api/v1/agents/templates").body["agents"].size(), 1u);

  auto saved = api(s, "PUT", path, {{"revision", 1}, {"prompt", "You are a polite pirate."}});
  ASSERT_EQ(saved.status, 200) << saved.body;
  EXPECT_EQ(saved.body["revision"], 2);
  EXPECT_EQ(saved.body["prompt"], "You are a polite pirate.");
  EXPECT_EQ(saved.body["name"], "Pirate") << "fields left out keep their values";

  auto stale = api(s, "PUT", path, {{"revision", 1}, {"prompt", "Someone else's edit"}});
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_EQ(stale.body["current"]["revision"], 2);
  EXPECT_EQ(stale.body["current"]["prompt"], "You are a polite pirate.");
  EXPECT_EQ(api(s, "GET", path).body["revision"], 2) << "a stale save changes nothing";
  EXPECT_EQ(api(s, "PUT", path, {{"prompt", "no revision"}}).status, 422);

  auto no_engine = api(s, "PUT", path, {{"revision", 2}, {"engines", {{"tts", "NoSuchTTS"}}}});
  EXPECT_EQ(no_engine.status, 422);
  EXPECT_EQ(no_engine.body["field"], "engines.tts");
  EXPECT_NE(no_engine.body["error"].get<std::string>().find("NoSuchTTS"), std::string::npos);
  auto no_kind = api(s, "POST", "/api/v1/agents", {{"name", "y"}, {"engines", {{"speaker", "x"}}}});
  EXPECT_EQ(no_kind.status, 422);
  EXPECT_EQ(no_kind.body["field"], "engines.speaker");
  auto no_function = api(s, "POST", "/api/v1/agents", {{"name", "y"}, {"functions", {{"launch_rocket", nullptr}}}});
  EXPECT_EQ(no_function.status, 422);
  EXPECT_EQ(no_function.body["field"], "functions.launch_rocket");
  EXPECT_EQ(api(s, "POST", "/api/v1/agents", {{"name", "y"}, {"replacement_words", {"nobar"}}}).body["field"],
            "replacement_words[0]");
  EXPECT_EQ(api(s, "POST", "/api/v1/agents", {{"name", "y"}, {"promt", "typo"}}).body["field"], "promt");
  EXPECT_EQ(api(s, "POST", "/api/v1/agents", {{"prompt", "nameless"}}).body["field"], "name");
  EXPECT_EQ(api(s, "GET", "/api/v1/agents").body["agents"].size(), 1u) << "refused saves stored nothing";

  auto copy = api(s, "POST", path + "/clone", {{"name", "Pirate 2"}});
  ASSERT_EQ(copy.status, 201) << copy.body;
  EXPECT_NE(copy.body["id"], id);
  EXPECT_EQ(copy.body["prompt"], "You are a polite pirate.");
  EXPECT_EQ(copy.body["template"], false);
  EXPECT_EQ(copy.body["revision"], 1);
  EXPECT_EQ(api(s, "POST", "/api/v1/agents/" + std::to_string(id) + "/clone").body["name"], "Pirate (copy)");

  EXPECT_EQ(api(s, "DELETE", path).status, 200);
  EXPECT_EQ(api(s, "GET", path).status, 404);
  EXPECT_EQ(api(s, "DELETE", path).status, 404);
  EXPECT_EQ(api(s, "GET", "/api/v1/agents/abc").status, 404);
}

TEST(AgentsApi, BindByCodeAssignAndUnbindWithRevisions) {
  TestServer s(Overrides{{"server.admin_token", kToken}, {"server.activation.enabled", true}});
  const std::string device = "aa:bb:cc:00:00:01";
  auto r = http_request(s.http_port(), "POST", "/xiaozhi/ota/", R"({"application":{"version":"2.4.2"}})",
                        {{"Device-Id", device}, {"Client-Id", "5c1a1c2e-8a8f-4d57-9e8b-2f9f0c0f3a11"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string code = json::parse(r.body)["activation"]["code"];

  auto agent = api(s, "POST", "/api/v1/agents", {{"name", "Helper"}});
  ASSERT_EQ(agent.status, 201);
  const auto agent_id = agent.body["id"].get<std::int64_t>();
  EXPECT_EQ(api(s, "POST", "/api/v1/devices/bind", {{"code", code}, {"agent_id", agent_id + 100}}).status, 422);

  auto bound = api(s, "POST", "/api/v1/devices/bind", {{"code", code}, {"agent_id", agent_id}});
  ASSERT_EQ(bound.status, 200) << bound.body;
  EXPECT_EQ(bound.body["activation"], "bound");
  EXPECT_EQ(bound.body["agent_id"], agent_id);
  EXPECT_EQ(bound.body["online"], false);
  EXPECT_EQ(api(s, "POST", "/api/v1/devices/bind", {{"code", code}}).status, 404) << "a code binds once";

  auto listed = api(s, "GET", "/api/v1/devices?search=00:00:01");
  ASSERT_EQ(listed.body["devices"].size(), 1u);
  const auto rev = listed.body["devices"][0]["revision"].get<std::int64_t>();
  EXPECT_EQ(api(s, "GET", "/api/v1/devices?search=ff:ff").body["devices"].size(), 0u);

  const std::string dev_path = "/api/v1/devices/" + device;
  auto to_default = api(s, "PUT", dev_path + "/agent", {{"agent_id", nullptr}, {"revision", rev}});
  ASSERT_EQ(to_default.status, 200) << to_default.body;
  EXPECT_TRUE(to_default.body["agent_id"].is_null());
  auto stale = api(s, "PUT", dev_path + "/agent", {{"agent_id", agent_id}, {"revision", rev}});
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.body["current"]["revision"], rev + 1);
  EXPECT_EQ(api(s, "PUT", dev_path + "/agent", {{"agent_id", 999999}, {"revision", rev + 1}}).body["field"],
            "agent_id");
  EXPECT_EQ(api(s, "PUT", "/api/v1/devices/no-such/agent", {{"agent_id", nullptr}, {"revision", 1}}).status, 404);

  auto unbound = api(s, "POST", dev_path + "/unbind");
  ASSERT_EQ(unbound.status, 200);
  EXPECT_EQ(unbound.body["activation"], "unbound");
  EXPECT_EQ(api(s, "GET", dev_path).body["activation"], "unbound");
}

TEST(AgentsApi, TheNextTurnFollowsTheAssignedAgentAndDevicesOnOneAgentShareEngines) {
  FakeOpenAi llm;
  for (int i = 0; i < 6; ++i) llm.push_reply({.tokens = {"Aye."}});
  TestServer s(Overrides{{"server.admin_token", kToken},
                {"prompt", "You are the default persona."},
                {"LLM.OpenAILLM.base_url", llm.url()},
                {"LLM.OpenAILLM.api_key", "sk-test"}});
  const std::string d1 = "aa:bb:cc:00:00:11", d2 = "aa:bb:cc:00:00:12";
  ota_check(s, d1);
  ota_check(s, d2);
  auto agent = api(s, "POST", "/api/v1/agents",
                   {{"name", "Pirate"}, {"prompt", "You are Pirate Pete."}, {"voice", "kal"}});
  ASSERT_EQ(agent.status, 201) << agent.body;
  const auto agent_id = agent.body["id"];
  const double builds_before = s.metric("xiaozhi_engines_built_total");

  ClientLoop loop;
  auto turn = [&](SimDevice& dev, const std::string& text) -> Task<bool> {
    dev.listen_detect(text);
    co_return (co_await dev.wait_type("tts", "stop", 20s)).has_value();
  };
  auto assign = [&](const std::string& device) {
    auto d = api(s, "GET", "/api/v1/devices/" + device);
    auto r = api(s, "PUT", "/api/v1/devices/" + device + "/agent",
                 {{"agent_id", agent_id}, {"revision", d.body["revision"]}});
    EXPECT_EQ(r.status, 200) << r.body;
  };
  loop.run([&]() -> Task<int> {
    auto ex = co_await boost::asio::this_coro::executor;
    DeviceProfile p1, p2;
    p1.device_id = d1;
    p2.device_id = d2;
    SimDevice dev1(ex, p1), dev2(ex, p2);
    ConnectOptions o;
    o.url = s.ws_url();
    co_await dev1.connect(o);
    EXPECT_TRUE(co_await dev1.wait_hello());
    co_await dev2.connect(o);
    EXPECT_TRUE(co_await dev2.wait_hello());
    auto online = api(s, "GET", "/api/v1/devices/" + d1);
    EXPECT_EQ(online.body["online"], true) << online.body;
    EXPECT_EQ(online.body["transport"], "websocket");
    EXPECT_TRUE(co_await turn(dev1, "hello one"));

    const double updates = s.metric("xiaozhi_profile_updates_total");
    assign(d1);
    // The session resolves its agent again in the background; its next turn uses it.
    for (int i = 0; i < 250 && s.metric("xiaozhi_profile_updates_total") <= updates; ++i)
      co_await boost::asio::steady_timer(ex, 20ms).async_wait(boost::asio::use_awaitable);
    EXPECT_TRUE(co_await turn(dev1, "hello again"));
    EXPECT_TRUE(co_await turn(dev2, "hello two"));
    co_return 0;
  }());
  ASSERT_EQ(llm.requests().size(), 3u);
  EXPECT_NE(system_prompt(llm.requests()[0]).find("You are the default persona."), std::string::npos);
  const std::string assigned = system_prompt(llm.requests()[1]);
  EXPECT_NE(assigned.find("You are Pirate Pete."), std::string::npos) << assigned;
  EXPECT_EQ(assigned.find("default persona"), std::string::npos) << assigned;
  EXPECT_NE(system_prompt(llm.requests()[2]).find("You are the default persona."), std::string::npos)
      << "an unbound device keeps the default agent";

  // The agent's own voice is one more TTS entry: built once, then shared by a second device.
  const double builds_one = s.metric("xiaozhi_engines_built_total");
  EXPECT_GE(builds_one, builds_before);
  assign(d2);
  loop.run([&]() -> Task<int> {
    auto ex = co_await boost::asio::this_coro::executor;
    DeviceProfile p2;
    p2.device_id = d2;
    SimDevice dev2(ex, p2);
    ConnectOptions o;
    o.url = s.ws_url();
    co_await dev2.connect(o);
    EXPECT_TRUE(co_await dev2.wait_hello());
    EXPECT_TRUE(co_await turn(dev2, "hello pirate"));
    co_return 0;
  }());
  ASSERT_EQ(llm.requests().size(), 4u);
  EXPECT_NE(system_prompt(llm.requests()[3]).find("You are Pirate Pete."), std::string::npos)
      << "a device connecting on an agent starts with it";
  EXPECT_EQ(s.metric("xiaozhi_engines_built_total"), builds_one) << "no engine is built per device";
}
