// Dialogue intelligence end to end: tool rounds, RESPONSE tools, the exit intent,
// intent_llm routing, and memory and chat history surviving a restart or a SIGTERM.
// The real server and xiaozhi-sim; the LLM is the local fake speaking the OpenAI wire
// protocol.
#include <signal.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <gtest/gtest.h>

#include "history/history_format.h"
#include "history/history_repository.h"
#include "memory/memory_repository.h"
#include "sim/sim_device.h"
#include "store/database.h"
#include "store/store.h"
#include "support/admin_api.h"
#include "support/child_process.h"
#include "support/fake_openai.h"
#include "support/speech.h"
#include "support/test_server.h"
#include "build_paths.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::DeviceProfile;
using xz::sim::SimDevice;
using xz::test::ClientLoop;
using xz::test::FakeOpenAi;
using xz::test::FakeReply;
using xz::test::FakeToolCall;
using xz::test::TestServer;

namespace {

std::vector<std::pair<std::string, json>> config_for(const FakeOpenAi& llm) {
  return {{"LLM.OpenAILLM.base_url", llm.url()}, {"LLM.OpenAILLM.api_key", "sk-test"}};
}

FakeReply tools_reply(std::vector<std::pair<std::string, std::string>> calls) {
  FakeReply r;
  for (auto& [name, args] : calls) r.tool_calls.push_back(FakeToolCall{"", name, args});
  return r;
}

FakeReply text_reply(std::string text) {
  FakeReply r;
  r.tokens = {std::move(text)};
  return r;
}

std::vector<json> tool_messages(const json& request) {
  std::vector<json> out;
  for (const auto& m : request["messages"])
    if (m.value("role", "") == "tool") out.push_back(m);
  return out;
}

// Connects `dev` and waits for the server's hello; true when it came. Pass a named
// url: g++ 12 mishandles temporaries in a full-expression with co_await.
Task<bool> connect_and_hello(SimDevice& dev, const std::string& url) {
  ConnectOptions o;
  o.url = url;
  co_await dev.connect(o);
  co_return (co_await dev.wait_hello()).has_value();
}

// Says `text` as typed input and waits for the reply to end; the reply's sentences.
Task<std::vector<std::string>> exchange(SimDevice& dev, std::string text) {
  dev.listen_detect(std::move(text));
  auto stop = co_await dev.wait_type("tts", "stop", 20s);
  EXPECT_TRUE(stop.has_value()) << "no tts stop";
  co_return dev.turns().empty() ? std::vector<std::string>{} : dev.turns().back().sentences;
}

std::string joined(const std::vector<std::string>& sentences) {
  std::string out;
  for (const auto& s : sentences) out += (out.empty() ? "" : " ") + s;
  return out;
}

struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("xz-dialogue-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
  static inline int counter = 0;
};

}  // namespace

TEST(Dialogue, ParallelCallsThenASecondRoundThenTheAnswer) {
  FakeOpenAi fake;
  fake.push_reply(tools_reply({{"get_time", "{}"}, {"get_lunar", "{}"}}));  // two calls in one round
  fake.push_reply(tools_reply({{"get_time", "{}"}}));                        // a second round
  fake.push_reply(text_reply("It is late, and the moon is new."));
  TestServer server(config_for(fake));
  ClientLoop loop;
  auto spoken = loop.run([&]() -> Task<std::vector<std::string>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    const std::string url = server.ws_url();
    co_await connect_and_hello(dev, url);
    co_return co_await exchange(dev, "what time and lunar day is it");
  }());
  EXPECT_EQ(joined(spoken), "It is late, and the moon is new.");
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 3u);
  auto round1 = tool_messages(requests[1].json);
  ASSERT_EQ(round1.size(), 2u) << "both calls of the first round answered";
  EXPECT_NE(round1[0]["tool_call_id"], round1[1]["tool_call_id"]);
  EXPECT_EQ(tool_messages(requests[2].json).size(), 3u);
  EXPECT_TRUE(requests[2].json.contains("tools")) << "tools stay offered below the round limit";
}

TEST(Dialogue, ExitIntentSpeaksItsGoodbyeDirectlyAndCloses) {
  FakeOpenAi fake;
  fake.push_reply(tools_reply({{"handle_exit_intent", R"({"say_goodbye": "Goodbye, friend."})"}}));
  TestServer server(config_for(fake));
  ClientLoop loop;
  auto [spoken, closed] = loop.run([&]() -> Task<std::pair<std::vector<std::string>, bool>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    const std::string url = server.ws_url();
    co_await connect_and_hello(dev, url);
    auto said = co_await exchange(dev, "I have to go now");
    bool gone = co_await dev.wait_closed(10s);
    co_return std::make_pair(said, gone);
  }());
  EXPECT_EQ(spoken, (std::vector<std::string>{"Goodbye, friend."})) << "RESPONSE is spoken as it is";
  EXPECT_TRUE(closed) << "the exit intent closes the session after the goodbye";
  EXPECT_EQ(fake.requests().size(), 1u) << "a RESPONSE tool needs no second LLM round";
}

TEST(Dialogue, IntentLlmRoutesToAFunctionBeforeTheChat) {
  FakeOpenAi fake;
  fake.push_reply(text_reply(R"({"function_call": {"name": "get_time", "arguments": {}}})"));
  fake.push_reply(text_reply("It is time for tea."));
  auto cfg = config_for(fake);
  cfg.push_back({"selected_module.Intent", "intent_llm"});
  TestServer server(cfg);
  ClientLoop loop;
  auto spoken = loop.run([&]() -> Task<std::vector<std::string>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    const std::string url = server.ws_url();
    co_await connect_and_hello(dev, url);
    co_return co_await exchange(dev, "what time is it");
  }());
  EXPECT_EQ(spoken, (std::vector<std::string>{"It is time for tea."}));
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_FALSE(requests[0].json.contains("tools")) << "classification is a plain chat call";
  EXPECT_NE(requests[0].json["messages"][0]["content"].get<std::string>().find("continue_chat"), std::string::npos);
  EXPECT_FALSE(requests[1].json.contains("tools")) << "the chat after routing answers without tools";
  EXPECT_EQ(tool_messages(requests[1].json).size(), 1u) << "the function's result reaches the chat";
}

TEST(Dialogue, MemoryAndHistorySurviveAShutdownRightAfterTheConversation) {
  TempDir dir;
  DeviceProfile profile;
  profile.device_id = "aa:bb:cc:00:11:22";
  profile.client_id = "6f1c4a52-6a3b-4c1e-9f61-0a1b2c3d4e5f";
  FakeOpenAi fake;
  fake.push_reply(text_reply("Nice to meet you, Alice."));
  FakeReply summary = text_reply("The user's name is Alice; she likes tea.");
  summary.first_token_delay = 500ms;  // still summarising when shutdown begins
  fake.push_reply(summary);
  fake.push_reply(text_reply("Hello again, Alice."));
  auto cfg = config_for(fake);
  cfg.push_back({"log.data_dir", dir.path.string()});
  cfg.push_back({"selected_module.Memory", "mem_local_short"});

  auto one_session = [&](TestServer& server, std::string text) {
    ClientLoop loop;
    return loop.run([&]() -> Task<std::vector<std::string>> {
      auto ex = co_await boost::asio::this_coro::executor;
      SimDevice dev(ex, profile);
      const std::string url = server.ws_url();
      co_await connect_and_hello(dev, url);
      auto said = co_await exchange(dev, text);
      dev.drop_connection();
      co_return said;
    }());
  };
  {
    TestServer server(cfg);
    one_session(server, "my name is Alice and I like tea");
  }  // graceful shutdown at once: the summary in flight must still be saved

  // History rows were written for the turn.
  {
    xz::store::Database db(xz::store::database_path(dir.path.string()));
    auto turns = xz::history::recent_turns(db, profile.device_id, 10);
    ASSERT_EQ(turns.size(), 1u);
    EXPECT_EQ(turns[0].turn.user_text, "my name is Alice and I like tea");
    EXPECT_EQ(turns[0].turn.assistant_text, "Nice to meet you, Alice.");
    EXPECT_EQ(turns[0].turn.kind, "typed");
  }

  // After a restart the next session's system prompt carries the memory.
  {
    TestServer server(cfg);
    auto said = one_session(server, "do you remember me");
    EXPECT_EQ(joined(said), "Hello again, Alice.");
  }
  auto requests = fake.requests();
  ASSERT_GE(requests.size(), 3u);
  const json& chat = requests[2].json;  // [0] chat, [1] summary, [2] the next session's chat
  EXPECT_NE(chat.dump().find("do you remember me"), std::string::npos);
  std::string system = chat["messages"][0]["content"];
  EXPECT_NE(system.find("<memory>"), std::string::npos) << system;
  EXPECT_NE(system.find("Alice"), std::string::npos) << system;
}

TEST(Dialogue, ATimedOutToolIsAnErrorWhileItsParallelSiblingAnswers) {
  TempDir dir;
  {
    json settings = {{"mcpServers", {{"tester", {{"command", std::string(XZ_TEST_TOOLS_DIR) + "/mcp_stdio_test_server"},
                                                 {"args", json::array()}}}}}};
    std::ofstream(dir.path / ".mcp_server_settings.json") << settings.dump();
  }
  FakeOpenAi fake;
  fake.push_reply(tools_reply({{"slow", R"({"ms": 5000})"}, {"slow", R"({"ms": 100})"}}));
  fake.push_reply(text_reply("One answer came back."));
  auto cfg = config_for(fake);
  cfg.push_back({"log.data_dir", dir.path.string()});
  cfg.push_back({"tool_call_timeout", 0.8});
  cfg.push_back({"server.admin_token", "admin-token-of-at-least-32-characters"});
  TestServer server(cfg);
  ClientLoop loop;
  auto took = loop.run([&]() -> Task<std::chrono::steady_clock::duration> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    const std::string url = server.ws_url();
    co_await connect_and_hello(dev, url);
    std::string token = "admin-token-of-at-least-32-characters", id = dev.profile().device_id, tool = "slow";
    EXPECT_TRUE(co_await xz::test::wait_until_offered(server, token, id, tool));
    dev.listen_detect("run the slow tools");
    // The round starts when the server shows the call ("% slow") and ends when the first
    // thing it says (the timed-out call's apology) starts.
    std::function<bool(const json&)> call_shown = [](const json& m) {
      return m.value("type", "") == "stt" && m.value("text", "").rfind("% slow", 0) == 0;
    };
    EXPECT_TRUE(co_await dev.wait_for(std::move(call_shown), 10s));
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(co_await dev.wait_type("tts", "sentence_start", 10s));
    auto round = std::chrono::steady_clock::now() - t0;
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s));
    co_return round;
  }());
  EXPECT_LT(took, 3s) << "the 5 s call must be cut at the 0.8 s timeout";
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 2u);
  auto results = tool_messages(requests[1].json);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_NE(results[0]["content"].get<std::string>().find("timed out"), std::string::npos) << results[0].dump();
  EXPECT_EQ(results[1]["content"].get<std::string>().find("timed out"), std::string::npos) << results[1].dump();
}

// The operator's path: the real binary, a device mid-reply, SIGTERM. The reply in
// progress is cut, yet the history keeps both turns (the spoken one with its audio) and
// the dialogue's summary reaches the memory before the process exits.
TEST(Dialogue, SigtermMidReplyStillSavesHistoryWithAudioAndMemory) {
  TempDir dir;
  FakeOpenAi fake;
  fake.push_reply(text_reply("Nice to meet you."));
  FakeReply slow = text_reply("Once upon a time there was a very long story.");
  slow.first_token_delay = 3s;  // still thinking when the SIGTERM comes
  fake.push_reply(slow);
  fake.push_reply(text_reply("The user introduced herself and asked for a story."));

  const auto ws_port = xz::test::free_port();
  json cfg = {{"server", {{"ip", "127.0.0.1"}, {"port", ws_port}, {"http_port", xz::test::free_port()}}},
              {"log", {{"data_dir", dir.path.string()}, {"log_dir", (dir.path / "log").string()}}},
              {"selected_module", {{"Memory", "mem_local_short"}}},
              {"LLM", {{"OpenAILLM", {{"base_url", fake.url()}, {"api_key", "sk-test"}}}}},
              {"chat_history", {{"enabled", true}, {"store_audio", true}}}};
  const auto config_path = dir.path / "config.yaml";
  std::ofstream(config_path) << cfg.dump(2);  // JSON is YAML
  xz::test::ChildProcess server(XZ_SERVER_BINARY, {"--config", config_path.string()}, dir.path.string());
  ASSERT_TRUE(server.wait_for_output("ready", 20s)) << server.output();

  DeviceProfile profile;
  profile.device_id = "aa:bb:cc:00:11:33";
  ClientLoop loop;
  loop.run([&]() -> Task<void> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex, profile);
    const std::string url = "ws://127.0.0.1:" + std::to_string(ws_port) + "/xiaozhi/v1/";
    EXPECT_TRUE(co_await connect_and_hello(dev, url));
    dev.listen_start("auto");
    co_await dev.speak(xz::test::flite_speech("hello my name is alice"));
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 30s)) << "no reply to the spoken turn";

    dev.listen_detect("tell me a long story");
    EXPECT_TRUE(co_await dev.wait_type("stt", "", 10s));
    EXPECT_TRUE(fake.wait_for_requests(2, 10s)) << "the second turn's chat request never came";
    server.signal(SIGTERM);
    EXPECT_TRUE(co_await dev.wait_closed(10s)) << "the server kept the connection after SIGTERM";
  }());
  auto status = server.wait_exit(8s);  // grace 5 s
  ASSERT_TRUE(status.has_value()) << "did not exit within the grace period\n" << server.output();
  EXPECT_EQ(*status, 0) << server.output();

  xz::store::Database db(xz::store::database_path(dir.path.string()));
  auto turns = xz::history::recent_turns(db, profile.device_id, 10);
  ASSERT_EQ(turns.size(), 2u) << server.output();
  const auto& spoken = turns[0];  // oldest first
  const auto& cut = turns[1];
  EXPECT_EQ(spoken.turn.kind, "user");
  EXPECT_NE(spoken.turn.user_text.find("alice"), std::string::npos) << spoken.turn.user_text;
  EXPECT_EQ(spoken.turn.assistant_text, "Nice to meet you.");
  EXPECT_FALSE(spoken.turn.interrupted);
  // ~1.5 s of speech and the pre-roll at 60 ms per packet.
  EXPECT_GE(spoken.audio_packets, 15u);
  EXPECT_GT(spoken.audio_bytes, 0u);
  auto packets = xz::history::HistoryRepository(db).audio(spoken.id);
  EXPECT_EQ(packets.size(), spoken.audio_packets);
  EXPECT_EQ(cut.turn.kind, "typed");
  EXPECT_EQ(cut.turn.user_text, "tell me a long story");
  EXPECT_TRUE(cut.turn.interrupted);
  EXPECT_EQ(cut.audio_packets, 0u);

  auto memory = xz::memory::MemoryRepository(db).find(profile.device_id);
  ASSERT_TRUE(memory.has_value()) << "the dialogue's summary was lost\n" << server.output();
  EXPECT_EQ(memory->text, "The user introduced herself and asked for a story.");
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_NE(requests[2].json.dump().find("tell me a long story"), std::string::npos)
      << "the summary covers the cut turn too";
}
