// mem_local_short against the fake OpenAI server through the real OpenAI engine, with
// the real store in a temporary directory.
#include "memory/local_short_memory.h"

#include <chrono>
#include <regex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/metrics.h"
#include "core/runtime.h"
#include "memory/memory_repository.h"
#include "providers/llm/openai_llm.h"
#include "store/store.h"
#include "support/fake_openai.h"
#include "unit/store/store_test_util.h"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace xz::memory;
using nlohmann::json;
using xz::core::Runtime;
using xz::core::Task;
using xz::providers::ChatMessage;
using xz::test::FakeOpenAi;
using xz::test::FakeReply;

namespace {

ChatMessage msg(std::string role, std::string content) {
  ChatMessage m;
  m.role = std::move(role);
  m.content = std::move(content);
  return m;
}

std::vector<ChatMessage> session_saying(const std::string& user_text) {
  return {msg("system", "You are XiaoZhi, a friendly assistant."), msg("assistant", "Hi! How can I help?"),
          msg("user", user_text), msg("assistant", "Got it, I will remember that.")};
}

// A summariser that behaves like a model told to merge: it repeats the current
// memory's notes and adds one note per thing the user said.
FakeReply merging_reply(const json& request) {
  const std::string prompt = request["messages"][1]["content"].get<std::string>();
  std::string out;
  auto mem_at = prompt.find("Current memory:\n");
  auto conv_at = prompt.find("\n\nNew conversation:\n");
  if (mem_at != std::string::npos && conv_at != std::string::npos) {
    auto mem = prompt.substr(mem_at + 16, conv_at - mem_at - 16);
    if (mem != "(empty)") out += mem + "\n";
  }
  std::regex user_line("User: ([^\n]*)");
  for (std::sregex_iterator it(prompt.begin(), prompt.end(), user_line), end; it != end; ++it)
    out += "- The user said: " + (*it)[1].str() + "\n";
  FakeReply r;
  // Streamed in pieces, with a think block in front as reasoning models send.
  r.tokens = {"<think>merging", "</think>\n"};
  for (std::size_t i = 0; i < out.size(); i += 7) r.tokens.push_back(out.substr(i, 7));
  return r;
}

using Dialogues = std::vector<std::pair<std::string, std::vector<ChatMessage>>>;

// remember() as sessions call it: on the loop, here all in one go, so no summary can
// start between two calls.
Task<void> remember_all(Memory* m, Dialogues items) {
  for (auto& [device, dialogue] : items) m->remember(device, std::move(dialogue));
  co_return;
}

class LocalShortMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rt.start();
    fake.set_default_reply(merging_reply);
    store = std::make_unique<xz::store::Store>(rt.pool(), xz::store::database_path(dir.str()));
    llm = std::make_unique<xz::providers::OpenAiLlm>(
        json{{"type", "openai"}, {"base_url", fake.url()}, {"model_name", "summariser"}, {"api_key", "sk-test"}}, ctx);
  }
  void TearDown() override {
    memory.reset();
    run(store->close());
  }

  LocalShortMemory& make(LocalShortSettings s = {}) {
    memory = std::make_unique<LocalShortMemory>(s, *store, *llm, nullptr, rt.loop(0).get_executor(), &metrics);
    return *memory;
  }

  template <class T>
  T run(Task<T> task) {
    auto f = asio::co_spawn(rt.loop(0), std::move(task), asio::use_future);
    if (f.wait_for(30s) != std::future_status::ready) throw std::runtime_error("test coroutine did not finish");
    return f.get();
  }
  std::string recall(const std::string& device) { return run(memory->recall(device)); }
  void drain() { run(memory->drain(std::chrono::steady_clock::time_point::max())); }
  void remember(const std::string& device, std::vector<ChatMessage> dialogue) {
    Dialogues items;
    items.emplace_back(device, std::move(dialogue));
    run(remember_all(memory.get(), std::move(items)));
  }

  xz::test::TempDir dir;
  Runtime rt{1, 2};
  xz::providers::ProviderContext ctx{rt.pool(), dir.str()};
  FakeOpenAi fake;
  xz::core::Metrics metrics;
  std::unique_ptr<xz::store::Store> store;
  std::unique_ptr<xz::providers::OpenAiLlm> llm;
  std::unique_ptr<LocalShortMemory> memory;
};

}  // namespace

TEST_F(LocalShortMemoryTest, RoundTripAndOrderAcrossTwoSessions) {
  auto& m = make();
  EXPECT_EQ(recall("aa:bb:cc:dd:ee:ff"), "");
  // Both sessions are queued at once: the second summary must still see the first.
  run(remember_all(&m, {{"aa:bb:cc:dd:ee:ff", session_saying("my name is Anna")},
                        {"aa:bb:cc:dd:ee:ff", session_saying("I have a cat called Max")}}));
  drain();

  EXPECT_EQ(recall("aa:bb:cc:dd:ee:ff"),
            "- The user said: my name is Anna\n- The user said: I have a cat called Max");
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 2u);
  const auto second = requests[1].json["messages"][1]["content"].get<std::string>();
  EXPECT_NE(second.find("Current memory:\n- The user said: my name is Anna\n\nNew conversation:"), std::string::npos)
      << second;
  const auto system = requests[0].json["messages"][0]["content"].get<std::string>();
  EXPECT_NE(system.find("1500 characters"), std::string::npos);
  EXPECT_EQ(requests[0].json["temperature"], 0.2);
  EXPECT_EQ(requests[0].json["max_tokens"], 2000);
  for (const auto& r : requests)
    EXPECT_EQ(r.body.find("friendly assistant"), std::string::npos) << "the persona prompt is not summarised";

  EXPECT_EQ(m.stats().saved, 2u);
  EXPECT_EQ(recall("11:22:33:44:55:66"), "") << "memory is per device";
  EXPECT_NE(metrics.render().find("xiaozhi_memory_summaries_total{result=\"saved\"} 2"), std::string::npos);
}

TEST_F(LocalShortMemoryTest, DrainWaitsForASlowSummary) {
  auto& m = make();
  FakeReply slow;
  slow.tokens = {"- The user said: ", "I live in Lyon"};
  slow.first_token_delay = 800ms;
  fake.push_reply(slow);
  remember("dev-1", session_saying("I live in Lyon"));
  auto t0 = std::chrono::steady_clock::now();
  drain();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 700ms) << "drain returned before the summary could be written";
  EXPECT_EQ(m.stats().saved, 1u);
  EXPECT_EQ(recall("dev-1"), "- The user said: I live in Lyon");
}

TEST_F(LocalShortMemoryTest, AFailingLlmKeepsTheOldMemory) {
  LocalShortSettings s;
  s.timeout = 1s;
  auto& m = make(s);
  remember("dev", session_saying("my favourite colour is green"));
  drain();
  const auto before = recall("dev");
  ASSERT_EQ(before, "- The user said: my favourite colour is green");

  FakeReply error;
  error.http_status = 500;
  fake.push_reply(error);
  remember("dev", session_saying("forget everything"));
  const auto t0 = std::chrono::steady_clock::now();
  drain();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 700ms) << "an LLM error ends the summary at once, not at its timeout";
  EXPECT_EQ(m.stats().failed, 1u);
  EXPECT_EQ(recall("dev"), before);

  FakeReply hang;
  hang.hang = true;
  fake.push_reply(hang);
  remember("dev", session_saying("this one times out"));
  drain();
  EXPECT_EQ(m.stats().failed, 2u);
  EXPECT_EQ(recall("dev"), before);

  FakeReply empty;
  empty.tokens = {"<think>nothing to say</think>"};
  fake.push_reply(empty);
  remember("dev", session_saying("an empty answer"));
  drain();
  EXPECT_EQ(m.stats().failed, 3u);
  EXPECT_EQ(recall("dev"), before);

  // It recovers: the next summary merges into the kept memory.
  remember("dev", session_saying("I am 30"));
  drain();
  EXPECT_EQ(recall("dev"), before + "\n- The user said: I am 30");
}

TEST_F(LocalShortMemoryTest, DialoguesWithoutTheUserAreNotSummarised) {
  auto& m = make();
  remember("dev", {msg("system", "persona"), msg("assistant", "Hello! Anyone there?")});
  remember("", session_saying("no device id"));
  drain();
  EXPECT_EQ(fake.request_count(), 0u);
  EXPECT_EQ(m.stats().skipped, 2u);
  EXPECT_EQ(recall("dev"), "");
}

TEST_F(LocalShortMemoryTest, TheQueueIsBoundedAndDropsAreCounted) {
  LocalShortSettings s;
  s.queue_size = 2;
  s.concurrency = 1;
  auto& m = make(s);
  Dialogues items;
  for (int i = 0; i < 5; ++i) items.emplace_back("dev-" + std::to_string(i), session_saying("fact " + std::to_string(i)));
  run(remember_all(&m, std::move(items)));
  EXPECT_EQ(m.stats().dropped, 3u);
  drain();
  EXPECT_EQ(m.stats().saved, 2u);
  EXPECT_EQ(recall("dev-0"), "- The user said: fact 0");
  EXPECT_EQ(recall("dev-1"), "- The user said: fact 1");
  EXPECT_EQ(recall("dev-2"), "");
  EXPECT_NE(metrics.render().find("xiaozhi_memory_summaries_total{result=\"dropped\"} 3"), std::string::npos);
}

TEST_F(LocalShortMemoryTest, LongAnswersAreCutToMaxChars) {
  LocalShortSettings s;
  s.max_chars = 50;
  make(s);
  FakeReply longer;
  for (int i = 0; i < 20; ++i) longer.tokens.push_back("- note number " + std::to_string(i) + "\n");
  fake.push_reply(longer);
  remember("dev", session_saying("lots of things"));
  drain();
  auto text = recall("dev");
  EXPECT_EQ(text, "- note number 0\n- note number 1\n- note number 2") << "cut at the end of a whole note";
}

TEST_F(LocalShortMemoryTest, ManyDevicesAreAllSummarised) {
  LocalShortSettings s;
  s.concurrency = 3;
  auto& m = make(s);
  Dialogues items;
  for (int round = 0; round < 2; ++round)
    for (int d = 0; d < 6; ++d) items.emplace_back("dev-" + std::to_string(d), session_saying("round " + std::to_string(round)));
  run(remember_all(&m, std::move(items)));
  drain();
  EXPECT_EQ(m.stats().saved, 12u);
  for (int d = 0; d < 6; ++d)
    EXPECT_EQ(recall("dev-" + std::to_string(d)), "- The user said: round 0\n- The user said: round 1") << d;
}

// Shutdown has a deadline: summaries still waiting on the LLM then are given up (their
// LLM calls cancelled, nothing saved), counted and logged, and drain() returns.
TEST_F(LocalShortMemoryTest, DrainGivesUpAtItsDeadline) {
  LocalShortSettings s;
  s.concurrency = 2;
  auto& m = make(s);
  fake.set_default_reply([](const json&) {
    FakeReply hang;
    hang.hang = true;  // a model that never answers
    return hang;
  });
  run(remember_all(&m, {{"dev-1", session_saying("one")}, {"dev-2", session_saying("two")},
                        {"dev-1", session_saying("three")}}));
  ASSERT_TRUE(fake.wait_for_requests(2, 5s)) << "both devices' summaries should be in flight";
  const auto t0 = std::chrono::steady_clock::now();
  run(memory->drain(t0 + 300ms));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 1500ms) << "drain() must end at its deadline";
  EXPECT_EQ(m.stats().abandoned, 3u) << "two in flight, one queued";
  EXPECT_EQ(m.stats().saved, 0u);
  EXPECT_EQ(m.stats().failed, 0u) << "given up is not failed";
  EXPECT_TRUE(fake.wait_for_client_disconnects(2, 5s)) << "the LLM calls in flight are cancelled";
  EXPECT_EQ(fake.request_count(), 2u) << "nothing starts after the deadline";
  EXPECT_EQ(recall("dev-1"), "");
  EXPECT_NE(metrics.render().find("xiaozhi_memory_summaries_total{result=\"abandoned\"} 3"), std::string::npos);
}
