// mem0ai against a fake of the mem0 platform API: sessions are added when they end,
// memories are searched before each answer, and every failure costs that turn's memory
// (or that session's add), never the turn.
#include "memory/mem0_memory.h"

#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/metrics.h"
#include "core/runtime.h"
#include "memory/mem0_wire.h"
#include "support/child_process.h"
#include "support/fake_mem0.h"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace xz::memory;
using nlohmann::json;
using xz::core::Runtime;
using xz::core::Task;
using xz::providers::ChatMessage;
using xz::providers::EngineConfigError;
using xz::test::FakeMem0;

namespace {

std::vector<ChatMessage> session_saying(const std::string& user_text) {
  return {{"system", "You are XiaoZhi.", {}, {}}, {"user", user_text, {}, {}}, {"assistant", "Noted.", {}, {}}};
}

Task<void> remember_all(Memory* m, std::vector<std::pair<std::string, std::vector<ChatMessage>>> items) {
  for (auto& [device, dialogue] : items) m->remember(device, std::move(dialogue));
  co_return;
}

class Mem0MemoryTest : public ::testing::Test {
 protected:
  void SetUp() override { rt.start(); }
  void TearDown() override { memory.reset(); }

  Mem0Settings settings() const {
    Mem0Settings s;
    s.api_key = "m0-test";
    s.base_url = fake.url();
    return s;
  }
  Mem0Memory& make(Mem0Settings s) {
    memory = std::make_unique<Mem0Memory>(std::move(s), rt.loop(0).get_executor(), &metrics);
    return *memory;
  }
  template <class T>
  T run(Task<T> task) {
    auto f = asio::co_spawn(rt.loop(0), std::move(task), asio::use_future);
    if (f.wait_for(30s) != std::future_status::ready) throw std::runtime_error("test coroutine did not finish");
    return f.get();
  }
  std::string search(const std::string& device, const std::string& query) { return run(memory->search(device, query)); }
  void remember(const std::string& device, std::vector<ChatMessage> dialogue) {
    run(remember_all(memory.get(), {{device, std::move(dialogue)}}));
  }
  void drain() { run(memory->drain(std::chrono::steady_clock::time_point::max())); }

  Runtime rt{1, 1};
  FakeMem0 fake;
  xz::core::Metrics metrics;
  std::unique_ptr<Mem0Memory> memory;
};

}  // namespace

TEST(Mem0Wire, MessagesAreWhatWasSaid) {
  std::vector<ChatMessage> d = {{"system", "prompt", {}, {}},
                                {"user", "weather?", {}, {}},
                                {"assistant", "", {{"c1", "get_weather", "{}"}}, {}},
                                {"tool", "sunny", {}, "c1"},
                                {"assistant", "It is sunny.", {}, {}}};
  EXPECT_EQ(mem0_messages(d), json::parse(R"([{"role":"user","content":"weather?"},{"role":"assistant","content":"It is sunny."}])"));
  // One message is nothing to remember (the reference needs two).
  EXPECT_TRUE(mem0_messages({{"user", "hi", {}, {}}}).empty());
  // The newest part of a long dialogue.
  std::vector<ChatMessage> long_one;
  for (int i = 0; i < 100; ++i) long_one.push_back({i % 2 ? "assistant" : "user", std::string(1000, 'a' + i % 26), {}, {}});
  auto m = mem0_messages(long_one);
  EXPECT_EQ(m.size(), kMem0MaxDialogueBytes / 1000);
  EXPECT_EQ(m.back()["content"], long_one.back().content);
  EXPECT_EQ(mem0_add_body(m, "dev-1", "v1.1")["version"], "v2");
  EXPECT_EQ(mem0_search_body("tea?", "dev-1", "v1.1"),
            (json{{"query", "tea?"}, {"user_id", "dev-1"}, {"output_format", "v1.1"}}));
}

TEST(Mem0Wire, MemoryTextIsTheReferencesNewestFirst) {
  auto answer = json::parse(R"({"results":[
    {"id":"1","memory":"Likes tea","updated_at":"2024-05-01T10:20:30.123456-07:00"},
    {"id":"2","memory":"Name is Bob","updated_at":"2024-06-02T08:00:00.5-07:00"},
    {"id":"3","memory":"No time"},
    {"id":"4","updated_at":"2024-06-03T08:00:00Z"},
    {"id":"5","memory":7,"updated_at":"2024-06-03T08:00:00Z"},
    "not an object"]})");
  EXPECT_EQ(mem0_memory_text(answer), "- [2024-06-02 08:00:00] Name is Bob\n- [2024-05-01 10:20:30] Likes tea");
  // The older API's bare list is read too; anything else is no memory.
  EXPECT_EQ(mem0_memory_text(json::parse(R"([{"memory":"x","updated_at":"2024-01-01T00:00:00"}])")), "- [2024-01-01 00:00:00] x");
  EXPECT_EQ(mem0_memory_text(json::parse(R"({"results":"x"})")), "");
  EXPECT_EQ(mem0_memory_text(json(nullptr)), "");
  // Bounded: entries and bytes.
  json many = {{"results", json::array()}};
  for (int i = 0; i < 500; ++i)
    many["results"].push_back({{"memory", "memory number " + std::to_string(i)}, {"updated_at", "2024-01-01T00:00:00"}});
  auto text = mem0_memory_text(many);
  EXPECT_LE(text.size(), kMem0MaxMemoryBytes);
  EXPECT_EQ(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1, kMem0MaxEntries);
  json huge = {{"results", {{{"memory", std::string(100000, 'x')}, {"updated_at", "2024-01-01T00:00:00"}}}}};
  EXPECT_LE(mem0_memory_text(huge).size(), kMem0MaxMemoryBytes);
  EXPECT_FALSE(mem0_memory_text(huge).empty());
  EXPECT_EQ(mem0_error_message(R"({"detail":"Given token not valid"})"), "Given token not valid");
  EXPECT_EQ(mem0_error_message(R"({"error":"user_id is required"})"), "user_id is required");
  EXPECT_EQ(mem0_error_message(""), "(empty body)");
}

TEST(Mem0Settings, TheReferencesEntryAndOurBounds) {
  auto s = Mem0Settings::from_entry(json{{"type", "mem0ai"}, {"api_key", "m0-abc"}}, "Memory.mem0ai");
  EXPECT_EQ(s.api_version, "v1.1");
  EXPECT_EQ(s.base_url, "https://api.mem0.ai");
  EXPECT_EQ(s.search_timeout, 3000ms);
  auto expect_error = [](const json& entry, const std::string& text) {
    try {
      Mem0Settings::from_entry(entry, "Memory.mem0ai");
      ADD_FAILURE() << "accepted " << entry.dump();
    } catch (const EngineConfigError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(text, 0), 0u) << e.what();
    }
  };
  expect_error(json{{"type", "mem0ai"}}, "Memory.mem0ai.api_key: missing");
  expect_error(json{{"api_key", "k"}, {"queue_size", 0}}, "Memory.mem0ai.queue_size: expected a number from 1");
  expect_error(json{{"api_key", "k"}, {"api_version", 2}}, "Memory.mem0ai.api_version: expected text");
}

TEST_F(Mem0MemoryTest, AnEndedSessionIsAddedAndFoundBeforeTheNextAnswer) {
  auto& m = make(settings());
  EXPECT_TRUE(m.searches_each_turn());
  EXPECT_EQ(run(m.recall("dev-1")), "");
  EXPECT_EQ(search("dev-1", "what do I like?"), "");

  remember("dev-1", session_saying("I like green tea"));
  drain();
  EXPECT_EQ(m.stats().saved, 1u);
  auto add = fake.requests().at(1);
  EXPECT_EQ(add.path, "/v1/memories/");
  EXPECT_EQ(add.headers["authorization"], "Token m0-test");
  EXPECT_EQ(add.json, json::parse(R"({"messages":[{"role":"user","content":"I like green tea"},
                                       {"role":"assistant","content":"Noted."}],
                                       "user_id":"dev-1","output_format":"v1.1","version":"v2"})"));
  EXPECT_EQ(fake.memories("dev-1"), std::vector<std::string>{"I like green tea"});

  fake.add_memory("dev-1", "Name is Bob", "2024-01-01T09:00:00.000000-08:00");
  EXPECT_EQ(search("dev-1", "what do I like?"),
            "- [2025-01-02 08:00:00] I like green tea\n- [2024-01-01 09:00:00] Name is Bob");
  auto query = fake.requests().back();
  EXPECT_EQ(query.path, "/v1/memories/search/");
  EXPECT_EQ(query.json, (json{{"query", "what do I like?"}, {"user_id", "dev-1"}, {"output_format", "v1.1"}}));
  // Devices are kept apart.
  EXPECT_EQ(search("dev-2", "what do I like?"), "");
  EXPECT_NE(metrics.render().find("xiaozhi_memory_summaries_total{result=\"saved\"} 1"), std::string::npos);
}

TEST_F(Mem0MemoryTest, SessionsWithoutADialogueAreNotSent) {
  auto& m = make(settings());
  remember("dev-1", {{"system", "prompt", {}, {}}, {"user", "hi", {}, {}}});
  remember("", session_saying("no device"));
  drain();
  EXPECT_EQ(m.stats().skipped, 2u);
  EXPECT_TRUE(fake.requests().empty());
}

TEST_F(Mem0MemoryTest, VendorErrorsCostOnlyTheMemory) {
  auto s = settings();
  s.api_key = "m0-wrong";
  auto& m = make(s);
  EXPECT_EQ(search("dev-1", "hi"), "");  // 401: logged, answered without memories
  remember("dev-1", session_saying("I like tea"));
  drain();
  EXPECT_EQ(m.stats().failed, 1u);
  EXPECT_EQ(m.stats().saved, 0u);
  EXPECT_TRUE(fake.memories("dev-1").empty());

  memory.reset();
  auto& ok = make(settings());  // the counters are the server's: they go on from 1 failure
  fake.fail_next(500);
  EXPECT_EQ(search("dev-1", "hi"), "");
  fake.fail_next(200, "<html>proxy page</html>");
  EXPECT_EQ(search("dev-1", "hi"), "");  // not JSON: no memories, no exception
  fake.fail_next(429, R"({"detail":"Request was throttled."})");
  remember("dev-1", session_saying("I like tea"));
  drain();
  EXPECT_EQ(ok.stats().failed, 2u);
  remember("dev-1", session_saying("I like coffee"));
  drain();
  EXPECT_EQ(ok.stats().saved, 1u);
  EXPECT_EQ(fake.memories("dev-1"), std::vector<std::string>{"I like coffee"});
}

TEST_F(Mem0MemoryTest, AnEndpointThatIsDownCostsOnlyTheMemory) {
  auto s = settings();
  s.base_url = "http://127.0.0.1:" + std::to_string(xz::test::free_port());
  auto& m = make(s);
  EXPECT_EQ(search("dev-1", "hi"), "");
  remember("dev-1", session_saying("I like tea"));
  const auto t0 = std::chrono::steady_clock::now();
  drain();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "a refused add ends at once";
  EXPECT_EQ(m.stats().failed, 1u);
}

TEST_F(Mem0MemoryTest, ASlowSearchIsGivenUpAtSearchTimeout) {
  auto s = settings();
  s.search_timeout = 300ms;
  make(s);
  fake.hang_next();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(search("dev-1", "hi"), "");
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 1500ms) << "the answer must not wait for mem0 longer than search_timeout";
  fake.set_delay(2s);
  EXPECT_EQ(search("dev-1", "hi"), "");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2500ms);
}

TEST_F(Mem0MemoryTest, ACancelledTurnCancelsItsSearch) {
  using namespace asio::experimental::awaitable_operators;
  make(settings());
  fake.hang_next();
  auto barge_in = [this]() -> Task<std::size_t> {
    auto r = co_await (memory->search("dev-1", "hi") || xz::core::sleep_for(100ms));
    co_return r.index();
  };
  EXPECT_EQ(run(barge_in()), 1u);
  for (int i = 0; i < 200 && fake.client_disconnects() == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(fake.client_disconnects(), 1u) << "the search's connection was not closed";
}

TEST_F(Mem0MemoryTest, TheQueueIsBoundedAndDropsAreCounted) {
  auto s = settings();
  s.queue_size = 2;
  s.concurrency = 1;
  auto& m = make(s);
  fake.set_delay(200ms);  // the first add is in flight while the others queue
  std::vector<std::pair<std::string, std::vector<ChatMessage>>> items;
  for (int i = 0; i < 6; ++i) items.emplace_back("dev-" + std::to_string(i), session_saying("fact " + std::to_string(i)));
  run(remember_all(&m, std::move(items)));
  EXPECT_EQ(m.stats().dropped, 4u);
  drain();
  EXPECT_EQ(m.stats().saved, 2u);
  EXPECT_NE(metrics.render().find("xiaozhi_memory_summaries_total{result=\"dropped\"} 4"), std::string::npos);
}

TEST_F(Mem0MemoryTest, DrainGivesUpAtItsDeadline) {
  auto s = settings();
  s.concurrency = 1;
  auto& m = make(s);
  fake.hang_next();  // mem0 never answers the first add
  run(remember_all(&m, {{"dev-1", session_saying("one")}, {"dev-2", session_saying("two")}}));
  ASSERT_TRUE(fake.wait_for_requests(1, 5s));
  const auto t0 = std::chrono::steady_clock::now();
  run(m.drain(t0 + 300ms));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 1500ms) << "drain() must end at its deadline";
  EXPECT_EQ(m.stats().abandoned, 2u) << "one in flight, one queued";
  EXPECT_EQ(m.stats().failed, 0u) << "given up is not failed";
  EXPECT_EQ(fake.requests().size(), 1u) << "nothing is sent after the deadline";
}
