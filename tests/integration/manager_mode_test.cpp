// Manager mode end to end: the whole server with manager-api.url and .secret pointing
// at a local fake of the reference's manager-api, xiaozhi-sim devices, and the OpenAI
// fake as the agents' LLM and TTS. Each device's agent (prompt, voice) comes from
// agent-models; an update_config applies from the next turn without a restart; chat
// reports carry audio; unbound devices hear their code; a manager that is down at
// start or mid-session costs no conversation.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "protocol/encoding.h"
#include "sim/sim_device.h"
#include "support/fake_http_apis.h"
#include "support/fake_manager_api.h"
#include "support/fake_openai.h"
#include "support/child_process.h"
#include "support/raw_client.h"
#include "support/speech.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::SimDevice;
using xz::test::ClientLoop;
using xz::test::FakeAgent;
using xz::test::FakeHttpApis;
using xz::test::FakeManagerApi;
using xz::test::FakeOpenAi;
using xz::test::TestServer;

namespace {

using Overrides = std::vector<std::pair<std::string, json>>;

constexpr const char* kSecret = "manager-secret-0123";
const std::string kAlice = "02:00:00:00:aa:01";
const std::string kAlice2 = "02:00:00:00:aa:02";
const std::string kBob = "02:00:00:00:bb:01";

Overrides manager_config(const FakeManagerApi& manager, const FakeOpenAi& llm, Overrides more = {}) {
  Overrides o = {{"manager-api.url", manager.url()},
                 {"manager-api.secret", kSecret},
                 {"manager-api.timeout", 3},
                 {"manager-api.max_retries", 1},
                 {"manager-api.retry_delay", 0.05},
                 {"manager-api.connect_timeout", 3},
                 // The server's own agent (the fallback) talks to the fake too.
                 {"LLM.OpenAILLM.base_url", llm.url()},
                 {"LLM.OpenAILLM.api_key", "sk-test"}};
  for (auto& m : more) o.push_back(std::move(m));
  return o;
}

FakeAgent agent(const FakeOpenAi& llm, std::string prompt, std::string voice) {
  FakeAgent a;
  a.prompt = std::move(prompt);
  a.voice = std::move(voice);
  a.llm_url = llm.url();
  a.tts_url = llm.url();
  return a;
}

xz::sim::DeviceProfile device(std::string id) {
  xz::sim::DeviceProfile p;
  p.device_id = std::move(id);
  p.client_id = "client-" + p.device_id;
  return p;
}

// The system prompt of a chat request.
std::string system_prompt(const json& request) {
  for (const auto& m : request.value("messages", json::array()))
    if (m.value("role", "") == "system") return m.value("content", "");
  return {};
}

// The newest chat request and the voices of the speech requests since `from`.
struct Seen {
  std::string prompt;
  std::vector<std::string> voices;
};
Seen seen_since(const FakeOpenAi& fake, std::size_t from) {
  Seen s;
  auto all = fake.requests();
  for (std::size_t i = from; i < all.size(); ++i) {
    if (all[i].path.ends_with("/chat/completions")) s.prompt = system_prompt(all[i].json);
    if (all[i].path.ends_with("/audio/speech")) s.voices.push_back(all[i].json.value("voice", ""));
  }
  return s;
}

// Connects, types `text`, waits for the reply to end; false when something is missing.
Task<bool> typed_turn(SimDevice& dev, std::string url, std::string text) {
  ConnectOptions o;
  o.url = std::move(url);
  co_await dev.connect(o);
  if (!co_await dev.wait_hello(5s)) co_return false;
  dev.listen_detect(std::move(text));
  co_return (co_await dev.wait_type("tts", "stop", 20s)).has_value();
}

Task<bool> another_turn(SimDevice& dev, std::string text) {
  dev.listen_detect(std::move(text));
  co_return (co_await dev.wait_type("tts", "stop", 20s)).has_value();
}

// Polls the metric (an event the test can observe) until it reaches `at_least`.
bool wait_metric(TestServer& s, const std::string& series, double at_least, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (s.metric(series) >= at_least) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

// The manager's own connection: a random id, no hello, one server message, its answer.
Task<json> server_action(std::string url, std::string action, std::string secret) {
  auto ex = co_await boost::asio::this_coro::executor;
  SimDevice manager(ex, device("7d3c1a52-0f4e-4a8b-9b1e-3f7c2d9e8a10"));
  ConnectOptions o;
  o.url = std::move(url);
  o.send_hello = false;
  co_await manager.connect(o);
  manager.send_text(json{{"type", "server"}, {"action", action}, {"content", {{"secret", secret}}}}.dump());
  auto answer = co_await manager.wait_for([](const json& j) { return j.value("type", "") == "server"; }, 30s);
  co_return answer ? *answer : json();
}

}  // namespace

TEST(ManagerMode, TwoAgentsGiveTheirDevicesTheirOwnPromptAndVoiceAndShareEngines) {
  FakeOpenAi llm;
  FakeManagerApi manager;
  manager.set_secret(kSecret);
  manager.bind_device(kAlice, agent(llm, "You are Alice, a gardener.", "nova"));
  manager.bind_device(kAlice2, agent(llm, "You are Alice, a gardener.", "nova"));
  manager.bind_device(kBob, agent(llm, "You are Bob, a sailor.", "onyx"));
  TestServer server(manager_config(manager, llm));
  ClientLoop loop;
  ASSERT_EQ(manager.calls_to("/config/server-base").size(), 1u);

  auto talk = [&](const std::string& id) {
    const std::size_t before = llm.request_count();
    bool ok = loop.run([&]() -> Task<bool> {
      auto ex = co_await boost::asio::this_coro::executor;
      SimDevice dev(ex, device(id));
      co_return co_await typed_turn(dev, server.ws_url(), "what should I do today");
    }());
    EXPECT_TRUE(ok) << id;
    return seen_since(llm, before);
  };
  const auto built_at_start = server.server().engines_built();
  Seen alice = talk(kAlice);
  const auto built_after_alice = server.server().engines_built();
  Seen alice2 = talk(kAlice2);
  const auto built_after_alice2 = server.server().engines_built();
  Seen bob = talk(kBob);
  const auto built_after_bob = server.server().engines_built();

  EXPECT_NE(alice.prompt.find("You are Alice, a gardener."), std::string::npos) << alice.prompt;
  EXPECT_NE(alice2.prompt.find("You are Alice, a gardener."), std::string::npos) << alice2.prompt;
  EXPECT_NE(bob.prompt.find("You are Bob, a sailor."), std::string::npos) << bob.prompt;
  EXPECT_EQ(bob.prompt.find("Alice"), std::string::npos) << bob.prompt;
  ASSERT_FALSE(alice.voices.empty());
  ASSERT_FALSE(bob.voices.empty());
  for (const auto& v : alice.voices) EXPECT_EQ(v, "nova");
  for (const auto& v : alice2.voices) EXPECT_EQ(v, "nova");
  for (const auto& v : bob.voices) EXPECT_EQ(v, "onyx");

  // Alice's agent built its engines once; the second device on it built none; Bob's voice
  // is a TTS engine of its own.
  EXPECT_GT(built_after_alice, built_at_start);
  EXPECT_EQ(built_after_alice2, built_after_alice);
  EXPECT_GT(built_after_bob, built_after_alice2);

  // What the server asked: each device's MAC and client id, the server's modules, the secret.
  auto asked = manager.calls_to("/config/agent-models");
  ASSERT_EQ(asked.size(), 3u);
  EXPECT_EQ(asked[0].json.value("macAddress", ""), kAlice);
  EXPECT_EQ(asked[0].json.value("clientId", ""), "client-" + kAlice);
  EXPECT_TRUE(asked[0].json["selectedModule"].contains("LLM")) << asked[0].body;
  EXPECT_EQ(asked[0].authorization, std::string("Bearer ") + kSecret);
  EXPECT_EQ(manager.calls_to("/config/correct-words").size(), 3u);
}

TEST(ManagerMode, UpdateConfigAppliesFromTheNextTurnWithoutARestart) {
  FakeOpenAi llm;
  FakeManagerApi manager;
  manager.set_secret(kSecret);
  manager.bind_device(kAlice, agent(llm, "You are Alice, a gardener.", "nova"));
  TestServer server(manager_config(manager, llm));
  ClientLoop loop;

  auto ex = loop.executor();
  SimDevice dev(ex, device(kAlice));
  std::size_t before = llm.request_count();
  ASSERT_TRUE(loop.run(typed_turn(dev, server.ws_url(), "hello there")));
  EXPECT_NE(seen_since(llm, before).prompt.find("Alice, a gardener"), std::string::npos);

  // The operator edits the agent in the console, then presses "update config".
  manager.bind_device(kAlice, agent(llm, "You are Alicia, an astronomer.", "shimmer"));
  const double updates = server.metric("xiaozhi_profile_updates_total");
  json wrong = loop.run(server_action(server.ws_url(), "update_config", "not-the-secret"));
  EXPECT_EQ(wrong.value("status", ""), "error") << wrong.dump();
  EXPECT_EQ(server.metric("xiaozhi_profile_updates_total"), updates);
  json answer = loop.run(server_action(server.ws_url(), "update_config", kSecret));
  EXPECT_EQ(answer.value("status", ""), "success") << answer.dump();
  EXPECT_EQ(answer["content"].value("action", ""), "update_config");
  ASSERT_TRUE(wait_metric(server, "xiaozhi_profile_updates_total", updates + 1, 10s));

  // The same connection, its next turn: the new agent.
  before = llm.request_count();
  ASSERT_TRUE(loop.run(another_turn(dev, "and now?")));
  Seen after = seen_since(llm, before);
  EXPECT_NE(after.prompt.find("Alicia, an astronomer"), std::string::npos) << after.prompt;
  ASSERT_FALSE(after.voices.empty());
  for (const auto& v : after.voices) EXPECT_EQ(v, "shimmer");
  EXPECT_EQ(manager.calls_to("/config/server-base").size(), 2u);  // start + update_config
}

TEST(ManagerMode, ChatReportsCarryTheUsersAndTheAgentsAudioAndTheSessionIsTitled) {
  FakeOpenAi llm;
  FakeManagerApi manager;
  manager.set_secret(kSecret);
  FakeAgent a = agent(llm, "You are Alice, a gardener.", "nova");
  a.memory = "Memory_mem_local_short";
  a.summary_memory = "The user grows tomatoes.";
  manager.bind_device(kAlice, a);
  TestServer server(manager_config(manager, llm));
  ClientLoop loop;

  bool ok = loop.run([&]() -> Task<bool> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex, device(kAlice));
    ConnectOptions o;
    o.url = server.ws_url();
    co_await dev.connect(o);
    if (!co_await dev.wait_hello(5s)) co_return false;
    dev.listen_start("auto");
    co_await dev.speak(xz::test::flite_speech("what is the weather like today"));
    bool done = (co_await dev.wait_type("tts", "stop", 30s)).has_value();
    dev.drop_connection();
    co_return done;
  }());
  ASSERT_TRUE(ok);
  // The manager's memory of the device is in the prompt instead of a local one.
  EXPECT_NE(seen_since(llm, 0).prompt.find("The user grows tomatoes."), std::string::npos);

  ASSERT_TRUE(manager.wait_for_calls("/agent/chat-title/", 1, 20s));
  auto reports = manager.calls_to("/agent/chat-history/report");
  ASSERT_GE(reports.size(), 2u);
  const json& user = reports[0].json;
  const json& reply = reports.back().json;
  EXPECT_EQ(user.value("chatType", 0), 1);
  EXPECT_EQ(reply.value("chatType", 0), 2);
  for (const json* r : {&user, &reply}) {
    EXPECT_EQ(r->value("macAddress", ""), kAlice);
    EXPECT_GT(r->value("reportTime", std::int64_t{0}), 1'600'000'000'000) << "epoch milliseconds";
    ASSERT_TRUE((*r)["audioBase64"].is_string()) << r->dump().substr(0, 300);
    auto wav = xz::protocol::base64_decode((*r)["audioBase64"].get<std::string>());
    ASSERT_TRUE(wav.has_value());
    auto parsed = xz::test::parse_wav(*wav);
    EXPECT_EQ(parsed.sample_rate, 16000);
    EXPECT_GT(parsed.samples.size(), 16000u / 2) << "at least half a second of audio";
  }
  EXPECT_EQ(user.value("sessionId", ""), reply.value("sessionId", ""));
  // After the reports: the title, and the summary the manager keeps for mem_local_short.
  auto calls = manager.calls();
  std::size_t last_report = 0, title = 0;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].path.ends_with("/agent/chat-history/report")) last_report = i;
    if (calls[i].path.find("/agent/chat-title/") != std::string::npos) title = i;
  }
  EXPECT_GT(title, last_report);
  EXPECT_EQ(calls[title].path, "/xiaozhi/agent/chat-title/" + user.value("sessionId", "") + "/generate");
  ASSERT_TRUE(manager.wait_for_calls("/agent/chat-summary/", 1, 5s));
  EXPECT_EQ(manager.calls_to("/agent/chat-summary/")[0].path,
            "/xiaozhi/agent/chat-summary/" + user.value("sessionId", "") + "/save");
}

TEST(ManagerMode, UnboundDeviceHearsAndSeesItsBindCodeWithoutAnLlmCall) {
  FakeOpenAi llm;
  FakeManagerApi manager;
  manager.set_secret(kSecret);
  manager.set_bind_code(kBob, "385217");
  TestServer server(manager_config(manager, llm));
  ClientLoop loop;
  struct Told {
    bool closed = false;
    std::vector<std::string> stt;
    int frames = 0;
  };
  auto told = [&](const std::string& id) {
    return loop.run([&]() -> Task<Told> {
      auto ex = co_await boost::asio::this_coro::executor;
      SimDevice dev(ex, device(id));
      ConnectOptions o;
      o.url = server.ws_url();
      co_await dev.connect(o);
      co_await dev.wait_hello(5s);
      dev.listen_detect("what is the weather like today");
      Told t;
      t.closed = co_await dev.wait_closed(30s);
      for (const auto& turn : dev.turns()) {
        t.stt.push_back(turn.stt_text);
        t.frames += turn.frames;
      }
      co_return t;
    }());
  };
  Told bob = told(kBob);
  EXPECT_TRUE(bob.closed);
  ASSERT_EQ(bob.stt.size(), 1u);
  EXPECT_EQ(bob.stt[0], "Open the control panel and enter this code 385217");
  EXPECT_GT(bob.frames, 20) << "the message and six digits are spoken";

  // A device the manager does not know (10041) is told so.
  Told stranger = told("02:00:00:00:cc:01");
  EXPECT_TRUE(stranger.closed);
  ASSERT_EQ(stranger.stt.size(), 1u);
  EXPECT_NE(stranger.stt[0].find("not registered"), std::string::npos) << stranger.stt[0];
  EXPECT_EQ(llm.request_count(), 0u) << "no LLM call for devices that cannot talk";
}

TEST(ManagerMode, ManagerDownAtStartServesTheLocalFile) {
  FakeOpenAi llm;
  FakeManagerApi manager;
  manager.set_down(true);  // every request answered 503, as behind a proxy that lost it
  TestServer server(manager_config(manager, llm));
  ClientLoop loop;
  EXPECT_EQ(manager.calls_to("/config/server-base").size(), 2u) << "one attempt and manager-api.max_retries (1)";
  const std::size_t before = llm.request_count();
  bool ok = loop.run([&]() -> Task<bool> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex, device(kAlice));
    co_return co_await typed_turn(dev, server.ws_url(), "hello there");
  }());
  EXPECT_TRUE(ok) << "a manager that is down costs no conversation";
  EXPECT_GT(llm.request_count(), before);
}

TEST(ManagerMode, TheLastGoodServerBaseServesWhenTheManagerIsDownAtTheNextStart) {
  FakeOpenAi llm;
  FakeManagerApi manager;
  manager.set_secret(kSecret);
  manager.set_server_base({{"prompt_template", "from the manager: not used"},
                           {"close_connection_no_voice_time", 77},
                           {"exit_commands", {"farewell now"}}});
  const auto dir = std::filesystem::temp_directory_path() / ("xz_mgr_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string saved = (dir / "manager-server-base.json").string();
  {
    TestServer first(manager_config(manager, llm, {{"log.data_dir", dir.string()}}));
    EXPECT_EQ(first.server().config().get<int>("close_connection_no_voice_time", 0), 77);
    EXPECT_NE(first.server().config().str("prompt_template"), "from the manager: not used") << "kept local";
  }
  ASSERT_TRUE(std::filesystem::exists(saved));
  EXPECT_EQ(std::filesystem::status(saved).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none)
      << "it holds the manager's secrets";

  manager.set_down(true);
  {
    TestServer second(manager_config(manager, llm, {{"log.data_dir", dir.string()}}));
    EXPECT_EQ(second.server().config().get<int>("close_connection_no_voice_time", 0), 77) << "the saved copy";
    ClientLoop loop;
    bool ok = loop.run([&]() -> Task<bool> {
      auto ex = co_await boost::asio::this_coro::executor;
      SimDevice dev(ex, device(kAlice));
      co_return co_await typed_turn(dev, second.ws_url(), "hello there");
    }());
    EXPECT_TRUE(ok);
  }
  std::filesystem::remove_all(dir);
}

TEST(ManagerMode, ManagerDownMidSessionKeepsTheDevicesAgentAndSaysSo) {
  FakeOpenAi llm;
  FakeManagerApi manager;
  manager.set_secret(kSecret);
  manager.bind_device(kAlice, agent(llm, "You are Alice, a gardener.", "nova"));
  TestServer server(manager_config(manager, llm));
  ClientLoop loop;

  auto ex = loop.executor();
  SimDevice dev(ex, device(kAlice));
  ASSERT_TRUE(loop.run(typed_turn(dev, server.ws_url(), "hello there")));

  // The manager goes away; an update_config reaches the server from the manager's
  // connection but server-base fails: the configuration stays, the session talks on.
  manager.set_down(true);
  json answer = loop.run(server_action(server.ws_url(), "update_config", kSecret));
  EXPECT_EQ(answer.value("status", ""), "error") << answer.dump();
  std::size_t before = llm.request_count();
  ASSERT_TRUE(loop.run(another_turn(dev, "still there?")));
  EXPECT_NE(seen_since(llm, before).prompt.find("Alice, a gardener"), std::string::npos);

  // A new connection of the same device while the manager is down: its last good agent.
  SimDevice again(ex, device(kAlice));
  before = llm.request_count();
  ASSERT_TRUE(loop.run(typed_turn(again, server.ws_url(), "hello again")));
  Seen kept = seen_since(llm, before);
  EXPECT_NE(kept.prompt.find("Alice, a gardener"), std::string::npos) << kept.prompt;
  for (const auto& v : kept.voices) EXPECT_EQ(v, "nova");

  // A device the server never saw gets the server's default agent, not silence.
  SimDevice fresh(ex, device("02:00:00:00:dd:01"));
  ASSERT_TRUE(loop.run(typed_turn(fresh, server.ws_url(), "hello")));
}

TEST(ManagerMode, RestartIsAnsweredThenAskedOfMainAndRefusedWithoutTheSecret) {
  FakeOpenAi llm;
  FakeManagerApi manager;
  manager.set_secret(kSecret);
  std::promise<void> restarted;
  auto asked = restarted.get_future();
  TestServer server(manager_config(manager, llm), [&restarted] { restarted.set_value(); });
  ClientLoop loop;
  json refused = loop.run(server_action(server.ws_url(), "restart", "guess"));
  EXPECT_EQ(refused.value("status", ""), "error");
  EXPECT_EQ(asked.wait_for(1500ms), std::future_status::timeout) << "a wrong secret restarts nothing";
  json answer = loop.run(server_action(server.ws_url(), "restart", kSecret));
  EXPECT_EQ(answer.value("status", ""), "success") << answer.dump();
  EXPECT_EQ(answer["content"].value("action", ""), "restart");
  EXPECT_EQ(asked.wait_for(10s), std::future_status::ready) << "main is asked to restart after the answer";
}

TEST(ManagerMode, ServerMessagesAreIgnoredWithoutAManager) {
  FakeOpenAi llm;
  TestServer server({{"LLM.OpenAILLM.base_url", llm.url()}, {"LLM.OpenAILLM.api_key", "sk-test"}});
  ClientLoop loop;
  bool silent = loop.run([&]() -> Task<bool> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex, device(kAlice));
    ConnectOptions o;
    o.url = server.ws_url();
    co_await dev.connect(o);
    co_await dev.wait_hello(5s);
    dev.send_text(json{{"type", "server"}, {"action", "restart"}, {"content", {{"secret", ""}}}}.dump());
    // Answered with nothing (as the reference does without a manager); the session goes on.
    auto answer = co_await dev.wait_for([](const json& j) { return j.value("type", "") == "server"; }, 1500ms);
    dev.listen_detect("hello");
    bool replied = (co_await dev.wait_type("tts", "stop", 20s)).has_value();
    co_return !answer && replied;
  }());
  EXPECT_TRUE(silent);
}

TEST(ManagerMode, ASlowManagerCostsAConnectionAtMostConnectTimeout) {
  FakeOpenAi llm;
  FakeManagerApi manager;
  manager.set_secret(kSecret);
  manager.bind_device(kAlice, agent(llm, "You are Alice, a gardener.", "nova"));
  TestServer server(manager_config(manager, llm, {{"manager-api.connect_timeout", 1}, {"chat_history.upload", false}}));
  manager.set_delay(15s);  // every answer from now on comes after the device gave up waiting
  ClientLoop loop;
  const auto started = std::chrono::steady_clock::now();
  const std::size_t before = llm.request_count();
  bool ok = loop.run([&]() -> Task<bool> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex, device(kBob));
    co_return co_await typed_turn(dev, server.ws_url(), "hello there");
  }());
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(ok) << "the server's default agent answers";
  EXPECT_LT(took, 10s) << "the device waited for the manager beyond connect_timeout";
  EXPECT_NE(seen_since(llm, before).prompt.find("You are Xiaozhi"), std::string::npos) << "the server's own prompt";
}

TEST(ManagerMode, AtMostMaxConcurrentRequestsAskTheManagerAtOnce) {
  FakeOpenAi llm;
  FakeManagerApi manager;
  manager.set_secret(kSecret);
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back("02:00:00:00:ee:0" + std::to_string(i));
    manager.bind_device(ids.back(), agent(llm, "You are Alice, a gardener.", "nova"));
  }
  TestServer server(manager_config(manager, llm, {{"manager-api.max_concurrent_requests", 2},
                                                  {"manager-api.connect_timeout", 10},
                                                  {"chat_history.upload", false}}));
  manager.set_delay(300ms);
  ClientLoop loop;
  int hellos = loop.run([&]() -> Task<int> {
    auto ex = co_await boost::asio::this_coro::executor;
    std::vector<std::unique_ptr<SimDevice>> devs;
    for (const auto& id : ids) {
      devs.push_back(std::make_unique<SimDevice>(ex, device(id)));
      ConnectOptions o;
      o.url = server.ws_url();
      co_await devs.back()->connect(o);  // the server resolves them side by side
    }
    int n = 0;
    for (auto& d : devs) n += (co_await d->wait_hello(15s)).has_value() ? 1 : 0;
    co_return n;
  }());
  EXPECT_EQ(hellos, 6);
  EXPECT_EQ(manager.calls_to("/config/agent-models").size(), 6u) << "every device got its agent, in turn";
  EXPECT_EQ(manager.max_in_flight("/config/agent-models"), 2);
}

TEST(ManagerMode, WhenTheManagerComesBackLiveDevicesGetTheirAgentsFromTheirNextTurn) {
  FakeOpenAi llm;
  FakeManagerApi manager;
  manager.set_secret(kSecret);
  manager.bind_device(kAlice, agent(llm, "You are Alice, a gardener.", "nova"));
  manager.set_down(true);
  TestServer server(manager_config(manager, llm, {{"manager-api.max_retry_delay", 0.2}, {"chat_history.upload", false}}));
  ClientLoop loop;
  auto ex = loop.executor();
  SimDevice dev(ex, device(kAlice));
  std::size_t before = llm.request_count();
  ASSERT_TRUE(loop.run(typed_turn(dev, server.ws_url(), "hello there")));
  EXPECT_NE(seen_since(llm, before).prompt.find("You are Xiaozhi"), std::string::npos) << "the server's own agent";

  const double updates = server.metric("xiaozhi_profile_updates_total");
  manager.set_down(false);
  ASSERT_TRUE(wait_metric(server, "xiaozhi_profile_updates_total", updates + 1, 10s))
      << "server-base asked again in the background, then the live session resolved its agent";
  before = llm.request_count();
  ASSERT_TRUE(loop.run(another_turn(dev, "and now?")));
  EXPECT_NE(seen_since(llm, before).prompt.find("Alice, a gardener"), std::string::npos);
}

TEST(ManagerMode, AnAgentsContextProvidersReplaceTheConfiguredOnesInItsDevicesPrompt) {
  FakeOpenAi llm;
  FakeHttpApis apis;
  apis.set_page("/pages/server", R"({"code":0,"data":{"source":"the server's provider"}})", "application/json");
  apis.set_page("/pages/alice", R"({"code":0,"data":{"garden":"tomatoes are ripe"}})", "application/json");
  FakeManagerApi manager;
  manager.set_secret(kSecret);
  json alice = FakeManagerApi::agent_data(agent(llm, "You are Alice, a gardener.", "nova"));
  alice["context_providers"] = json::array({{{"url", apis.url() + "/pages/alice"}, {"headers", {{"k", "v"}}}}});
  manager.set_agent_data(kAlice, alice);
  manager.bind_device(kBob, agent(llm, "You are Bob, a sailor.", "onyx"));  // none of its own
  TestServer server(manager_config(
      manager, llm,
      {{"chat_history.upload", false},
       {"context_providers", json::array({{{"url", apis.url() + "/pages/server"}}})}}));
  ClientLoop loop;
  auto talk = [&](const std::string& id) {
    const std::size_t before = llm.request_count();
    EXPECT_TRUE(loop.run([&]() -> Task<bool> {
      auto ex = co_await boost::asio::this_coro::executor;
      SimDevice dev(ex, device(id));
      co_return co_await typed_turn(dev, server.ws_url(), "what should I do today");
    }())) << id;
    return seen_since(llm, before).prompt;
  };
  const std::string alice_prompt = talk(kAlice);
  const std::string bob_prompt = talk(kBob);
  EXPECT_NE(alice_prompt.find("- **garden：** tomatoes are ripe"), std::string::npos) << alice_prompt;
  EXPECT_EQ(alice_prompt.find("the server's provider"), std::string::npos) << alice_prompt;
  EXPECT_NE(bob_prompt.find("- **source：** the server's provider"), std::string::npos) << bob_prompt;
  EXPECT_EQ(bob_prompt.find("tomatoes"), std::string::npos) << bob_prompt;
  for (const auto& c : apis.calls()) {
    if (c.path == "/pages/alice") {
      EXPECT_EQ(c.headers.at("device-id"), kAlice) << "only Alice's device asks it";
    }
  }
}

TEST(ManagerMode, UpdateConfigChangesTheWakeWordReplyOfALiveDevice) {
  FakeOpenAi llm;
  FakeManagerApi manager;
  manager.set_secret(kSecret);
  manager.bind_device(kAlice, agent(llm, "You are Alice, a gardener.", "nova"));
  manager.set_server_base({{"wakeup_words_response", "First greeting."}, {"wakeup_words_responses", json::array()}});
  TestServer server(manager_config(manager, llm, {{"chat_history.upload", false}}));
  ClientLoop loop;
  auto ex = loop.executor();
  SimDevice dev(ex, device(kAlice));
  auto wake = [&]() -> Task<std::vector<std::string>> {
    dev.listen_detect("hello xiaozhi");
    if (!co_await dev.wait_type("tts", "stop", 20s) || dev.turns().empty()) co_return std::vector<std::string>{};
    co_return dev.turns().back().sentences;
  };
  ASSERT_TRUE(loop.run([&]() -> Task<bool> {
    ConnectOptions o;
    o.url = server.ws_url();
    co_await dev.connect(o);
    co_return (co_await dev.wait_hello(5s)).has_value();
  }()));
  EXPECT_EQ(loop.run(wake()), (std::vector<std::string>{"First greeting."}));

  // The operator changes the server's wake-word reply, then presses "update config": the
  // agent's TTS is the same, its greetings are not.
  manager.set_server_base({{"wakeup_words_response", "Second greeting."}, {"wakeup_words_responses", json::array()}});
  const double updates = server.metric("xiaozhi_profile_updates_total");
  json answer = loop.run(server_action(server.ws_url(), "update_config", kSecret));
  EXPECT_EQ(answer.value("status", ""), "success") << answer.dump();
  ASSERT_TRUE(wait_metric(server, "xiaozhi_profile_updates_total", updates + 1, 10s));
  EXPECT_EQ(loop.run(wake()), (std::vector<std::string>{"Second greeting."}));
}
