// The reference's LLM types xinference, fastgpt, AliBL and coze and its mem0ai memory,
// selected through the configuration as a switching user selects them, in the real
// server driven by xiaozhi-sim; each vendor is a local fake speaking its wire protocol.
// A vendor's error, and the vendor gone, are spoken and the session goes on.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>

#include <gtest/gtest.h>

#include "apps/config_source.h"
#include "core/config.h"
#include "sim/sim_device.h"
#include "support/fake_llm_apis.h"
#include "support/fake_mem0.h"
#include "support/fake_openai.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::DeviceProfile;
using xz::sim::SimDevice;
using xz::test::ClientLoop;
using xz::test::FakeLlmApis;
using xz::test::FakeLlmReply;
using xz::test::FakeMem0;
using xz::test::FakeOpenAi;
using xz::test::TestServer;

namespace {

using Overrides = std::vector<std::pair<std::string, json>>;
const std::string kSorry = "Sorry, my brain is offline.";

Task<bool> connect_and_hello(SimDevice& dev, const std::string& url) {
  ConnectOptions o;
  o.url = url;
  co_await dev.connect(o);
  co_return (co_await dev.wait_hello()).has_value();
}

// Says `text` as typed input and waits for the reply to end; the reply, joined.
Task<std::string> exchange(SimDevice& dev, std::string text) {
  dev.listen_detect(std::move(text));
  auto stop = co_await dev.wait_type("tts", "stop", 20s);
  EXPECT_TRUE(stop.has_value()) << "no tts stop";
  std::string out;
  if (!dev.turns().empty())
    for (const auto& s : dev.turns().back().sentences) out += (out.empty() ? "" : " ") + s;
  co_return out;
}

// One session of three turns: an answer, a vendor error, and (after `vendor_gone`) the
// vendor unreachable; the session must carry on through all of them.
struct ThreeTurns {
  std::string answer, vendor_error, vendor_gone;
  bool still_connected = false;
};

ThreeTurns three_turns(const Overrides& overrides, const std::function<void()>& fail_next,
                       const std::function<void()>& remove_vendor) {
  Overrides cfg = overrides;
  cfg.push_back({"system_error_response", kSorry});
  TestServer server(cfg);
  ClientLoop loop;
  return loop.run([&]() -> Task<ThreeTurns> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    const std::string url = server.ws_url();
    ThreeTurns r;
    EXPECT_TRUE(co_await connect_and_hello(dev, url));
    r.answer = co_await exchange(dev, "hello there");
    fail_next();
    r.vendor_error = co_await exchange(dev, "are you there");
    remove_vendor();
    r.vendor_gone = co_await exchange(dev, "still there");
    r.still_connected = dev.connected();
    co_return r;
  }());
}

// The fakes' answer. Not an echo: with the text tool protocol the question of a new
// FastGPT chat or Coze conversation starts with the tool instructions.
const std::string kAnswer = "Hello from the vendor.";
FakeLlmReply vendor_answer(const xz::test::FakeLlmRequest&) { return {.tokens = {"Hello ", "from the ", "vendor."}}; }

void expect_served(const ThreeTurns& r) {
  EXPECT_EQ(r.answer, kAnswer);
  EXPECT_EQ(r.vendor_error, kSorry);
  EXPECT_EQ(r.vendor_gone, kSorry);
  EXPECT_TRUE(r.still_connected);
}

}  // namespace

TEST(ReferenceEngines, XinferenceServesATurnAndItsFailuresAreSpoken) {
  std::optional<FakeOpenAi> fake(std::in_place);
  fake->set_default_reply([](const json&) { return xz::test::FakeReply{.tokens = {"Hello ", "from the ", "vendor."}}; });
  const std::string origin = "http://127.0.0.1:" + std::to_string(fake->port());
  auto r = three_turns({{"selected_module.LLM", "XinferenceLLM"}, {"LLM.XinferenceLLM.base_url", origin}},
                       [&] { fake->push_reply({.http_status = 500}); }, [&] { fake.reset(); });
  expect_served(r);
}

TEST(ReferenceEngines, FastgptServesATurnAndItsFailuresAreSpoken) {
  std::optional<FakeLlmApis> fake(std::in_place);
  fake->set_api_key("fastgpt-test");
  fake->set_default_reply(vendor_answer);
  std::string first_question;
  auto r = three_turns({{"selected_module.LLM", "FastgptLLM"},
                        {"LLM.FastgptLLM.base_url", fake->url() + "/api/v1"},
                        {"LLM.FastgptLLM.api_key", "fastgpt-test"}},
                       [&] { fake->push_reply({.tokens = {"half"}, .stream_error = "quota exceeded"}); },
                       [&] {
                         first_question = fake->requests().front().json["messages"][0]["content"];
                         fake.reset();
                       });
  EXPECT_EQ(r.answer, kAnswer);
  EXPECT_EQ(r.vendor_error, "half " + kSorry) << "what came before the error is kept, then the error is spoken";
  EXPECT_EQ(r.vendor_gone, kSorry);
  EXPECT_TRUE(r.still_connected);
  // No native tools: the text protocol's instructions lead the new chat's question.
  EXPECT_TRUE(first_question.starts_with("# TOOL USE")) << first_question;
  EXPECT_TRUE(first_question.ends_with("hello there")) << first_question;
}

TEST(ReferenceEngines, AliBLServesATurnAndItsFailuresAreSpoken) {
  std::optional<FakeLlmApis> fake(std::in_place);
  fake->set_api_key("sk-dashscope");
  fake->set_default_reply(vendor_answer);
  auto r = three_turns({{"selected_module.LLM", "AliAppLLM"},
                        {"LLM.AliAppLLM.base_url", fake->url() + "/api/v1"},
                        {"LLM.AliAppLLM.app_id", "app123"},
                        {"LLM.AliAppLLM.api_key", "sk-dashscope"}},
                       [&] { fake->push_reply({.http_status = 429}); }, [&] { fake.reset(); });
  expect_served(r);
}

TEST(ReferenceEngines, CozeServesATurnAndItsFailuresAreSpoken) {
  std::optional<FakeLlmApis> fake(std::in_place);
  fake->set_api_key("pat_test");
  fake->set_default_reply(vendor_answer);
  auto r = three_turns({{"selected_module.LLM", "CozeLLM"},
                        {"LLM.CozeLLM.base_url", fake->url()},
                        {"LLM.CozeLLM.bot_id", "7351234567890"},
                        {"LLM.CozeLLM.user_id", "xiaozhi"},
                        {"LLM.CozeLLM.personal_access_token", "pat_test"}},
                       [&] {
                         // Refused in a continued conversation, the engine tries once more in a new one.
                         for (int i = 0; i < 2; ++i) fake->push_reply({.error_body = R"({"code":4015,"msg":"bot not published"})"});
                       },
                       [&] { fake.reset(); });
  expect_served(r);
}

// mem0ai as the reference uses it: a session is added for its device when it ends, and
// the next session's answer carries the memories mem0 finds for what the user says.
TEST(ReferenceEngines, Mem0RemembersASessionForTheNextOne) {
  FakeOpenAi llm;
  llm.push_reply({.tokens = {"Nice to meet you, Alice."}});
  llm.push_reply({.tokens = {"Hello again, Alice."}});
  FakeMem0 mem0;
  DeviceProfile profile;
  profile.device_id = "aa:bb:cc:00:11:33";
  TestServer server({{"LLM.OpenAILLM.base_url", llm.url()},
                     {"LLM.OpenAILLM.api_key", "sk-test"},
                     {"selected_module.Memory", "mem0ai"},
                     {"Memory.mem0ai.base_url", mem0.url()},
                     {"Memory.mem0ai.api_key", "m0-test"}});
  ClientLoop loop;
  auto session = [&](std::string text) {
    return loop.run([&]() -> Task<std::string> {
      auto ex = co_await boost::asio::this_coro::executor;
      SimDevice dev(ex, profile);
      const std::string url = server.ws_url();
      EXPECT_TRUE(co_await connect_and_hello(dev, url));
      auto said = co_await exchange(dev, text);
      dev.drop_connection();
      co_return said;
    }());
  };
  EXPECT_EQ(session("my name is Alice"), "Nice to meet you, Alice.");
  ASSERT_TRUE(mem0.wait_for_requests(2, 10s)) << "the ended session was never added";  // [0] search, [1] add
  EXPECT_EQ(mem0.memories(profile.device_id), std::vector<std::string>{"my name is Alice"});

  EXPECT_EQ(session("do you remember me"), "Hello again, Alice.");
  auto searches = mem0.requests();
  ASSERT_GE(searches.size(), 3u);
  EXPECT_EQ(searches[2].path, "/v1/memories/search/");
  EXPECT_EQ(searches[2].json["query"], "do you remember me");
  EXPECT_EQ(searches[2].json["user_id"], profile.device_id);
  auto chats = llm.requests();
  ASSERT_EQ(chats.size(), 2u);
  std::string system = chats[1].json["messages"][0]["content"];
  EXPECT_NE(system.find("<memory>"), std::string::npos) << system;
  EXPECT_NE(system.find("] my name is Alice"), std::string::npos) << system;
}

// The reference's powermem entry, selected, is refused at start-up (and by --check-config,
// which loads the same way) with the reason, not only "unsupported".
TEST(ReferenceEngines, SelectingPowermemSaysWhyItCannotWork) {
  const auto path = std::filesystem::temp_directory_path() / ("xz_powermem_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << R"(
selected_module:
  Memory: powermem
Memory:
  powermem:
    type: powermem
    enable_user_profile: true
    llm: {provider: qwen, config: {api_key: k, model: qwen-plus}}
    vector_store: {provider: sqlite, config: {database_path: ./data/powermem.db}}
)";
  auto src = xz::apps::server_config_source();
  src.path = path.string();
  std::string problem;
  try {
    xz::core::Config::load(src);
  } catch (const xz::core::ConfigError& e) {
    ASSERT_EQ(e.problems().size(), 1u);
    problem = e.problems()[0];
  }
  std::filesystem::remove(path);
  EXPECT_NE(problem.find("selected_module.Memory: powermem has type 'powermem'"), std::string::npos) << problem;
  EXPECT_NE(problem.find("the reference runs PowerMem as a Python library"), std::string::npos) << problem;
  EXPECT_NE(problem.find("mem0ai"), std::string::npos) << problem;
}
