// The engine cache: one engine per distinct configuration, shared while in use,
// released with its last user, built once under concurrent asks.
#include "agents/engine_cache.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

using xz::agents::EngineCache;
using xz::agents::engine_key;
using nlohmann::json;

namespace {

struct Engine {
  explicit Engine(std::atomic<int>& alive) : alive(alive) { ++alive; }
  ~Engine() { --alive; }
  std::atomic<int>& alive;
};

}  // namespace

TEST(EngineKey, EqualEntriesGiveEqualKeysWhateverTheirKeyOrder) {
  json a = json::parse(R"({"type":"openai","model":"tts-1","voice":"nova"})");
  json b = json::parse(R"({"voice":"nova","type":"openai","model":"tts-1"})");
  EXPECT_EQ(engine_key("TTS", a), engine_key("TTS", b));
  json c = a;
  c["voice"] = "onyx";
  EXPECT_NE(engine_key("TTS", a), engine_key("TTS", c));
  EXPECT_NE(engine_key("TTS", a), engine_key("LLM", a)) << "the kind is part of the key";
}

TEST(EngineCache, OneEnginePerConfigurationSharedWhileInUse) {
  EngineCache cache;
  std::atomic<int> alive{0};
  int built = 0;
  auto make = [&] {
    ++built;
    return std::make_shared<Engine>(alive);
  };
  auto a1 = cache.get<Engine>("TTS|a", make);
  auto a2 = cache.get<Engine>("TTS|a", make);
  auto b = cache.get<Engine>("TTS|b", make);
  EXPECT_EQ(a1, a2);
  EXPECT_NE(a1, b);
  EXPECT_EQ(built, 2);
  EXPECT_EQ(cache.builds(), 2u);
  EXPECT_EQ(cache.live(), 2u);

  // Released with its last user; asked again, it is built again.
  a1.reset();
  EXPECT_EQ(alive.load(), 2);
  a2.reset();
  EXPECT_EQ(alive.load(), 1);
  EXPECT_EQ(cache.live(), 1u);
  auto a3 = cache.get<Engine>("TTS|a", make);
  EXPECT_EQ(built, 3);
  EXPECT_EQ(alive.load(), 2);
}

TEST(EngineCache, AFailedBuildIsNotRemembered) {
  EngineCache cache;
  std::atomic<int> alive{0};
  EXPECT_THROW(cache.get<Engine>("LLM|x", []() -> std::shared_ptr<Engine> { throw std::runtime_error("bad key"); }),
               std::runtime_error);
  auto e = cache.get<Engine>("LLM|x", [&] { return std::make_shared<Engine>(alive); });
  EXPECT_NE(e, nullptr);
  EXPECT_EQ(cache.builds(), 1u);
}

TEST(EngineCache, ConcurrentAsksForOneConfigurationBuildItOnce) {
  EngineCache cache;
  std::atomic<int> alive{0};
  std::atomic<int> built{0};
  std::vector<std::shared_ptr<Engine>> got(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      got[static_cast<std::size_t>(i)] = cache.get<Engine>("VAD|silero", [&] {
        ++built;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a model loading
        return std::make_shared<Engine>(alive);
      });
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(built.load(), 1);
  for (const auto& g : got) EXPECT_EQ(g, got[0]);
}

TEST(EngineCache, ABuildMayAskForTheEngineItDependsOn) {
  // A memory asks for its LLM while being built: no deadlock, both cached.
  EngineCache cache;
  std::atomic<int> alive{0};
  auto memory = cache.get<Engine>("Memory|m", [&] {
    auto llm = cache.get<Engine>("LLM|l", [&] { return std::make_shared<Engine>(alive); });
    EXPECT_EQ(cache.live(), 1u);
    return std::make_shared<Engine>(alive);
  });
  EXPECT_EQ(cache.builds(), 2u);
}

TEST(EngineCache, ForgottenKeysAreSweptSoTheMapStaysBounded) {
  EngineCache cache;
  std::atomic<int> alive{0};
  for (int i = 0; i < 10000; ++i) (void)cache.get<Engine>("TTS|" + std::to_string(i), [&] { return std::make_shared<Engine>(alive); });
  EXPECT_EQ(alive.load(), 0);
  EXPECT_EQ(cache.live(), 0u);
  EXPECT_LE(cache.slots(), 128u);
}
