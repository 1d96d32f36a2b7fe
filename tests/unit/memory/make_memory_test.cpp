#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/runtime.h"
#include "memory/local_short_memory.h"
#include "memory/memory.h"
#include "providers/llm/openai_llm.h"
#include "store/store.h"
#include "support/fake_openai.h"
#include "unit/store/store_test_util.h"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace xz::memory;
using nlohmann::json;
using xz::providers::EngineConfigError;

namespace {

struct Env {
  xz::test::TempDir dir;
  xz::core::Runtime rt{1, 1};
  xz::providers::ProviderContext ctx{rt.pool(), dir.str()};
  xz::test::FakeOpenAi main_fake, memory_fake;
  std::unique_ptr<xz::store::Store> store;
  std::unique_ptr<xz::providers::OpenAiLlm> main_llm;

  Env() {
    rt.start();
    store = std::make_unique<xz::store::Store>(rt.pool(), xz::store::database_path(dir.str()));
    main_llm = std::make_unique<xz::providers::OpenAiLlm>(
        json{{"type", "openai"}, {"base_url", main_fake.url()}, {"model_name", "main"}}, ctx);
  }
  ~Env() { asio::co_spawn(rt.loop(0), store->close(), asio::use_future).get(); }

  // The base config: the main LLM entry plus a second one for memory.
  json config(json memory_section, std::string selected) const {
    return json{{"selected_module", {{"LLM", "MainLLM"}, {"Memory", selected}}},
                {"LLM",
                 {{"MainLLM", {{"type", "openai"}, {"base_url", main_fake.url()}, {"model_name", "main"}}},
                  {"SmallLLM", {{"type", "openai"}, {"base_url", memory_fake.url()}, {"model_name", "small"}}}}},
                {"Memory", std::move(memory_section)}};
  }
  std::unique_ptr<Memory> make(const json& root) {
    return make_memory(xz::core::Config(root), *store, *main_llm, ctx, rt.loop(0).get_executor());
  }
  template <class T>
  T run(xz::core::Task<T> t) {
    return asio::co_spawn(rt.loop(0), std::move(t), asio::use_future).get();
  }
};

std::vector<xz::providers::ChatMessage> dialogue(std::string said) {
  return {{"user", std::move(said), {}, {}}, {"assistant", "Noted.", {}, {}}};
}

xz::core::Task<void> remember_one(Memory* m, std::string device, std::vector<xz::providers::ChatMessage> d) {
  m->remember(std::move(device), std::move(d));
  co_return;
}

}  // namespace

TEST(MakeMemory, NomemAndReportOnlyRememberNothing) {
  Env env;
  for (std::string type : {"nomem", "mem_report_only"}) {
    auto m = env.make(env.config({{type, {{"type", type}}}}, type));
    env.run(remember_one(m.get(), "dev", dialogue("my name is Bob")));
    env.run(m->drain(std::chrono::steady_clock::time_point::max()));
    EXPECT_EQ(env.run(m->recall("dev")), "") << type;
  }
  // Selected by type name without a section entry, and nothing selected at all.
  EXPECT_NE(env.make(env.config(json::object(), "nomem")), nullptr);
  json none = env.config(json::object(), "");
  none["selected_module"].erase("Memory");
  EXPECT_NE(env.make(none), nullptr);
  EXPECT_EQ(env.main_fake.request_count() + env.memory_fake.request_count(), 0u);
}

TEST(MakeMemory, LocalShortUsesItsOwnLlmEntryWhenNamed) {
  Env env;
  env.memory_fake.push_reply({.tokens = {"- The user is Bob."}});
  auto m = env.make(env.config({{"mem_local_short", {{"type", "mem_local_short"}, {"llm", "SmallLLM"}, {"max_chars", 300}}}},
                               "mem_local_short"));
  ASSERT_NE(dynamic_cast<LocalShortMemory*>(m.get()), nullptr);
  env.run(remember_one(m.get(), "dev", dialogue("my name is Bob")));
  env.run(m->drain(std::chrono::steady_clock::time_point::max()));
  EXPECT_EQ(env.run(m->recall("dev")), "- The user is Bob.");
  EXPECT_EQ(env.memory_fake.request_count(), 1u);
  EXPECT_EQ(env.main_fake.request_count(), 0u);
  EXPECT_NE(env.memory_fake.last_request().json["messages"][0]["content"].get<std::string>().find("300 characters"),
            std::string::npos);
}

TEST(MakeMemory, LocalShortFallsBackToTheMainLlm) {
  Env env;
  env.main_fake.push_reply({.tokens = {"- Likes tea."}});
  auto m = env.make(env.config({{"MyMemory", {{"type", "mem_local_short"}}}}, "MyMemory"));
  env.run(remember_one(m.get(), "dev", dialogue("I like tea")));
  env.run(m->drain(std::chrono::steady_clock::time_point::max()));
  EXPECT_EQ(env.run(m->recall("dev")), "- Likes tea.");
  EXPECT_EQ(env.main_fake.request_count(), 1u);
}

TEST(MakeMemory, BadConfigurationNamesTheKey) {
  Env env;
  auto expect_error = [&](const json& root, const std::string& needle) {
    try {
      env.make(root);
      ADD_FAILURE() << "accepted: " << root.dump();
    } catch (const EngineConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error(env.config({{"Mem0", {{"type", "mem0ai"}}}}, "Mem0"), "Memory.Mem0.api_key: missing");
  expect_error(env.config({{"Mem0", {{"type", "mem0ai"}, {"api_key", "k"}, {"search_timeout", "soon"}}}}, "Mem0"),
               "Memory.Mem0.search_timeout");
  expect_error(env.config({{"Mem0", {{"type", "mem0ai"}, {"api_key", "k"}, {"base_url", "api.mem0.ai"}}}}, "Mem0"),
               "Memory.Mem0.base_url: not an http(s) URL");
  // The reference's powermem entry says why it cannot be used.
  expect_error(env.config({{"powermem", {{"type", "powermem"}, {"enable_user_profile", true}}}}, "powermem"),
               "Memory.powermem.type: 'powermem' cannot be used: the reference runs PowerMem as a Python library");
  expect_error(env.config({{"M", {{"type", "mem0_milvus"}}}}, "M"), "Memory.M.type: 'mem0_milvus' is not supported");
  expect_error(env.config({{"M", {{"type", "mem_local_short"}, {"llm", "NoSuchLLM"}}}}, "M"),
               "Memory.M.llm: 'NoSuchLLM' is not an entry");
  expect_error(env.config({{"M", {{"type", "mem_local_short"}, {"max_chars", 0}}}}, "M"), "Memory.M.max_chars");
  expect_error(env.config({{"M", {{"type", "mem_local_short"}, {"timeout", "soon"}}}}, "M"), "Memory.M.timeout");
  expect_error(env.config({{"M", {{"type", "mem_local_short"}, {"llm", 5}}}}, "M"), "Memory.M.llm");
}

TEST(MakeMemory, KnownTypes) {
  EXPECT_EQ(memory_types(), (std::set<std::string>{"nomem", "mem_report_only", "mem_local_short", "mem0ai"}));
}
