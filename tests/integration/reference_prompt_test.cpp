// The reference's prompt and conversation edges, end to end with the real server and
// xiaozhi-sim: the prompt_template around the prompt with the context providers' data,
// the cached wake-word reply and its refresh, and the goodbye after a silence
// (end_prompt). The LLM is the local OpenAI fake; context providers a local HTTP fake.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "apps/config_source.h"
#include "apps/server.h"
#include "sim/sim_device.h"
#include "support/fake_http_apis.h"
#include "support/fake_openai.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::DeviceProfile;
using xz::sim::SimDevice;
using xz::test::ClientLoop;
using xz::test::FakeHttpApis;
using xz::test::FakeOpenAi;
using xz::test::FakeReply;
using xz::test::TestServer;

namespace {

using Overrides = std::vector<std::pair<std::string, json>>;

Overrides with_llm(const FakeOpenAi& llm, Overrides more = {}) {
  Overrides o = {{"LLM.OpenAILLM.base_url", llm.url()}, {"LLM.OpenAILLM.api_key", "sk-test"}};
  o.insert(o.end(), more.begin(), more.end());
  return o;
}

Task<bool> connect_and_hello(SimDevice& dev, const std::string& url) {
  ConnectOptions o;
  o.url = url;
  co_await dev.connect(o);
  co_return (co_await dev.wait_hello()).has_value();
}

std::string system_prompt(const xz::test::FakeRequest& r) {
  const auto& m = r.json["messages"];
  return m.empty() || m[0].value("role", "") != "system" ? "" : m[0].value("content", "");
}

bool has_stt(const SimDevice& dev, const std::string& text = {}) {
  for (const auto& m : dev.messages())
    if (m.json.value("type", "") == "stt" && (text.empty() || m.json.value("text", "") == text)) return true;
  return false;
}

}  // namespace

TEST(ReferencePrompt, TheLlmSeesTheTemplateWithTheContextProvidersData) {
  FakeOpenAi llm;
  FakeHttpApis apis;
  apis.set_page("/pages/device", R"({"code":0,"msg":"ok","data":{"电量":"80%","room":"kitchen"}})",
                "application/json");
  apis.set_page("/pages/todo", R"({"code":0,"data":["Water the plants"]})", "application/json");
  llm.push_reply({.tokens = {"Sure."}});
  TestServer server(with_llm(
      llm, {{"prompt", "You are Xiaozhi the test persona."},
            {"prompt_context.ip_location_url", apis.url() + "/ipJson.jsp?json=true&ip={ip}"},
            {"context_providers",
             json::array({{{"url", apis.url() + "/pages/device"}, {"headers", {{"Authorization", "Bearer k1"}}}},
                          {{"url", ""}},
                          {{"url", apis.url() + "/pages/todo"}}})}}));
  ClientLoop loop;
  DeviceProfile profile;
  profile.device_id = "aa:bb:cc:dd:ee:01";
  profile.client_id = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
  loop.run([&]() -> Task<int> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex, profile);
    const std::string url = server.ws_url();
    co_await connect_and_hello(dev, url);
    dev.listen_detect("what should I do today");
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s));
    co_return 0;
  }());
  ASSERT_EQ(llm.requests().size(), 1u);
  const std::string prompt = system_prompt(llm.requests()[0]);
  for (const char* part : {"<identity>\nYou are Xiaozhi the test persona.\n</identity>", "Device ID: aa:bb:cc:dd:ee:01",
                           "- **电量：** 80%\n- **room：** kitchen\n- Water the plants", "星期", "<memory>"})
    EXPECT_NE(prompt.find(part), std::string::npos) << part << "\n---\n" << prompt;
  EXPECT_EQ(prompt.find("{{"), std::string::npos) << prompt;
  EXPECT_EQ(prompt.find("User's city"), std::string::npos) << "a loopback device has no city";

  for (auto c : apis.calls()) {
    EXPECT_NE(c.path, "/ipJson.jsp") << "a loopback address is never looked up";
    EXPECT_EQ(c.headers["device-id"], "aa:bb:cc:dd:ee:01");
    EXPECT_EQ(c.headers["client-id"], profile.client_id);
    EXPECT_EQ(c.headers["authorization"], c.path == "/pages/device" ? "Bearer k1" : "") << c.path;
  }
  EXPECT_EQ(apis.call_count(), 2u) << "the entry with an empty url is skipped";
}

TEST(ReferencePrompt, AMissingOrBrokenTemplateStopsStartUpAndCheckConfigAlike) {
  const auto dir = std::filesystem::temp_directory_path() / ("xz-tpl-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "broken.txt") << "<identity>\n{{ base_prompt | upper }}\n</identity>\n";
  for (const auto& [name, expected] :
       std::vector<std::pair<std::string, std::string>>{
           {"no-such-prompt.txt", "prompt_template: \"no-such-prompt.txt\" not found"},
           {(dir / "broken.txt").string(), "broken.txt: line 2: only plain names are supported"}}) {
    std::string at_start, at_check;
    try {
      TestServer server({{"prompt_template", name}});
    } catch (const xz::core::ConfigError& e) {
      at_start = e.what();
    }
    auto src = xz::apps::server_config_source();
    src.default_override_path = (dir / ".config.yaml").string();
    src.overrides = {{"prompt_template", name}, {"log.data_dir", dir.string()}};
    try {
      xz::apps::Server::check_config(xz::core::Config::load(src));
    } catch (const xz::core::ConfigError& e) {
      at_check = e.what();
    }
    EXPECT_NE(at_start.find(expected), std::string::npos) << at_start;
    EXPECT_NE(at_check.find(expected), std::string::npos) << at_check;
  }
  std::filesystem::remove_all(dir);
}

TEST(ReferencePrompt, ASlowProviderDoesNotHoldTheFirstReply) {
  FakeOpenAi llm;
  FakeHttpApis apis;
  apis.set_page("/pages/device", R"({"code":0,"data":{"room":"kitchen"}})", "application/json");
  apis.delay_next(10s);
  llm.push_reply({.tokens = {"Sure."}});
  TestServer server(with_llm(llm, {{"prompt_context.wait_seconds", 0.3},
                                   {"context_providers", json::array({{{"url", apis.url() + "/pages/device"}}})}}));
  ClientLoop loop;
  const double took = loop.run([&]() -> Task<double> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    const std::string url = server.ws_url();
    co_await connect_and_hello(dev, url);
    const auto t0 = std::chrono::steady_clock::now();
    dev.listen_detect("hello there");
    co_await dev.wait_type("tts", "sentence_start", 20s);
    co_return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }());
  EXPECT_LT(took, 2.5) << "the provider's 3 s timeout must not delay the reply";
  ASSERT_EQ(llm.requests().size(), 1u);
  EXPECT_EQ(system_prompt(llm.requests()[0]).find("kitchen"), std::string::npos);
}

TEST(ReferenceWakeWord, CachedReplyAtOnceThenARefreshedLine) {
  FakeOpenAi llm;
  llm.push_reply({.tokens = {"Fine."}});
  TestServer server(with_llm(llm, {{"wakeup_words_response", "Hello, I am here."},
                                   {"wakeup_words_responses", json::array({"Go ahead, I am listening."})},
                                   {"wakeup_words_refresh_seconds", 0}}));
  ClientLoop loop;
  struct Seen {
    std::vector<std::vector<std::string>> wake_sentences;
    bool stt = false;
  } seen = loop.run([&]() -> Task<Seen> {
    Seen s;
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    const std::string url = server.ws_url();
    co_await connect_and_hello(dev, url);
    // The first line is made in the background while the first reply plays; a wake
    // word after that gets it.
    for (int i = 0; i < 5; ++i) {
      dev.listen_detect("Hello, Xiaozhi!");
      if (!co_await dev.wait_type("tts", "stop", 20s)) break;
      s.wake_sentences.push_back(dev.turns().back().sentences);
      if (i > 0 && s.wake_sentences.back() == std::vector<std::string>{"Go ahead, I am listening."}) break;
    }
    s.stt = has_stt(dev);
    dev.listen_detect("and now?");
    co_await dev.wait_type("tts", "stop", 20s);
    co_return s;
  }());
  ASSERT_GE(seen.wake_sentences.size(), 2u);
  EXPECT_EQ(seen.wake_sentences.front(), (std::vector<std::string>{"Hello, I am here."}));
  EXPECT_EQ(seen.wake_sentences.back(), (std::vector<std::string>{"Go ahead, I am listening."}));
  EXPECT_FALSE(seen.stt) << "a cached wake reply sends tts start, no stt";
  ASSERT_EQ(llm.requests().size(), 1u) << "wake words cost no LLM call";
  // The replies are in the dialogue, as the reference adds them.
  const json messages = llm.requests()[0].json["messages"];
  bool heard = false;
  for (const auto& m : messages)
    if (m.value("role", "") == "assistant" && m.value("content", "") == "Hello, I am here.") heard = true;
  EXPECT_TRUE(heard) << messages.dump();
}

TEST(ReferenceWakeWord, WithoutTheCacheTheLlmAnswersTheWakeWord) {
  FakeOpenAi llm;
  llm.push_reply({.tokens = {"Hi! What's up?"}});
  TestServer server(with_llm(llm, {{"enable_wakeup_words_response_cache", false}}));
  ClientLoop loop;
  auto sentences = loop.run([&]() -> Task<std::vector<std::string>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    const std::string url = server.ws_url();
    co_await connect_and_hello(dev, url);
    dev.listen_detect("hello xiaozhi");
    co_await dev.wait_type("tts", "stop", 20s);
    EXPECT_TRUE(has_stt(dev, "hello xiaozhi"));
    co_return dev.turns().empty() ? std::vector<std::string>{} : dev.turns().back().sentences;
  }());
  EXPECT_EQ(sentences, (std::vector<std::string>{"Hi!", "What's up?"}));
  ASSERT_EQ(llm.requests().size(), 1u);
  EXPECT_EQ(llm.requests()[0].json["messages"].back()["content"], "hello xiaozhi");
}

TEST(ReferenceGoodbye, SilenceBringsTheEndPromptTurnWithoutSttThenTheConnectionCloses) {
  FakeOpenAi llm;
  llm.push_reply({.tokens = {"Time flies. ", "Goodbye, friend."}});
  TestServer server(with_llm(llm, {{"close_connection_no_voice_time", 1},
                                   {"close_connection_after_goodbye_seconds", 10},
                                   {"end_prompt.prompt", "Say a fond goodbye."}}));
  ClientLoop loop;
  struct Seen {
    bool closed = false;
    std::vector<std::string> sentences;
    bool stt = false, stop_before_close = false;
  } seen = loop.run([&]() -> Task<Seen> {
    Seen s;
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    const std::string url = server.ws_url();
    co_await connect_and_hello(dev, url);
    s.stop_before_close = (co_await dev.wait_type("tts", "stop", 10s)).has_value();
    s.closed = co_await dev.wait_closed(5s);
    s.stt = has_stt(dev);
    if (!dev.turns().empty()) s.sentences = dev.turns().back().sentences;
    co_return s;
  }());
  EXPECT_TRUE(seen.stop_before_close) << "the goodbye ends with tts stop";
  EXPECT_TRUE(seen.closed) << "then the server closes, long before the hard close";
  EXPECT_FALSE(seen.stt) << "the end prompt is never shown";
  EXPECT_EQ(seen.sentences, (std::vector<std::string>{"Time flies.", "Goodbye, friend."}));
  ASSERT_EQ(llm.requests().size(), 1u);
  const json req = llm.requests()[0].json;
  EXPECT_EQ(req["messages"].back()["role"], "user");
  EXPECT_EQ(req["messages"].back()["content"], "Say a fond goodbye.");
  EXPECT_FALSE(req.contains("tools")) << "a goodbye calls no tools";
}

TEST(ReferenceGoodbye, DisabledEndPromptClosesAtOnce) {
  FakeOpenAi llm;
  TestServer server(with_llm(llm, {{"close_connection_no_voice_time", 1},
                                   {"close_connection_after_goodbye_seconds", 10},
                                   {"end_prompt.enable", false}}));
  ClientLoop loop;
  auto [closed, spoke] = loop.run([&]() -> Task<std::pair<bool, bool>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    const std::string url = server.ws_url();
    co_await connect_and_hello(dev, url);
    bool gone = co_await dev.wait_closed(5s);
    co_return std::make_pair(gone, !dev.turns().empty());
  }());
  EXPECT_TRUE(closed);
  EXPECT_FALSE(spoke);
  EXPECT_TRUE(llm.requests().empty());
}

TEST(ReferenceGoodbye, ALongReplyIsNotCutBySilenceAndTheGoodbyeFollowsIt) {
  FakeOpenAi llm;
  // About five seconds of speech: longer than the silence limit plus the hard close.
  llm.push_reply({.tokens = {"Once upon a time there was a little robot who lived in a box. ",
                             "Every morning it woke up, looked out of the window and counted the birds. ",
                             "One day it counted more birds than ever before, and it was very happy."}});
  llm.push_reply({.tokens = {"Goodbye."}});
  TestServer server(with_llm(llm, {{"close_connection_no_voice_time", 1},
                                   {"close_connection_after_goodbye_seconds", 0.5}}));
  ClientLoop loop;
  struct Seen {
    std::string story_end;
    bool connected_after_story = false, goodbye = false, closed = false;
  } seen = loop.run([&]() -> Task<Seen> {
    Seen s;
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    const std::string url = server.ws_url();
    co_await connect_and_hello(dev, url);
    dev.listen_detect("tell me a story");
    auto story = co_await dev.wait_type("tts", "stop", 30s);
    if (story && !dev.turns().back().sentences.empty()) s.story_end = dev.turns().back().sentences.back();
    s.connected_after_story = dev.connected();
    auto bye = co_await dev.wait_type("tts", "stop", 10s);
    const std::vector<std::string> goodbye{"Goodbye."};
    s.goodbye = bye.has_value() && dev.turns().back().sentences == goodbye;
    s.closed = co_await dev.wait_closed(5s);
    co_return s;
  }());
  EXPECT_NE(seen.story_end.find("very happy"), std::string::npos) << "the whole story was told: " << seen.story_end;
  EXPECT_TRUE(seen.connected_after_story) << "speaking is activity: no close while the reply plays";
  EXPECT_TRUE(seen.goodbye);
  EXPECT_TRUE(seen.closed);
}
