// The end of a session and of the server: a session leaves the registry whatever its
// cleanup throws, and graceful shutdown writes the chat history first and gives memory
// summaries a deadline inside the grace period.
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "core/runtime.h"
#include "history/history_repository.h"
#include "memory/memory_repository.h"
#include "session/device_server.h"
#include "session/session.h"
#include "sim/sim_device.h"
#include "store/database.h"
#include "store/store.h"
#include "support/fake_openai.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::SimDevice;
using xz::test::ClientLoop;
using xz::test::FakeOpenAi;
using xz::test::FakeReply;
using xz::test::TestServer;
namespace asio = boost::asio;

namespace {

// A conversation whose stop() fails, with a std::exception or with anything else.
class FailingConversation : public xz::session::Conversation {
 public:
  explicit FailingConversation(bool std_exception) : std_exception_(std_exception) {}
  void on_hello(const xz::protocol::HelloMsg&) override {}
  void on_audio(std::string_view, std::uint32_t) override {}
  void on_listen(const xz::protocol::ListenMsg&) override {}
  void on_abort(std::string_view) override {}
  void on_mcp(const json&) override {}
  void on_iot(const xz::protocol::IotMsg&) override {}
  void on_no_voice_timeout() override {}
  bool busy() const override { return false; }
  void close_session_after_reply(std::string) override {}
  Task<void> stop() override {
    if (std_exception_) throw std::runtime_error("stop failed on purpose");
    throw 42;  // not a std::exception: nothing in the session catches it
    co_return;
  }
  bool speak(std::string) override { return false; }
  Task<xz::protocol::McpCallOutcome> call_device_tool(std::string, json) override {
    throw std::runtime_error("no tools");
    co_return xz::protocol::McpCallOutcome{};
  }
  json describe_tools() const override { return json::object(); }

 private:
  bool std_exception_;
};

// Waits (polling, up to `limit`) until the registry holds `n` sessions.
bool registry_reaches(const xz::session::SessionRegistry& registry, std::size_t n, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (registry.size() != n) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

class FailingCleanup : public ::testing::TestWithParam<bool> {};

}  // namespace

// The conversation's stop() throws when the device leaves: the session is still removed
// from the registry (a dead one left there would be counted, pushed to, and waited for
// by shutdown), and the server serves the next connection.
TEST_P(FailingCleanup, ASessionLeavesTheRegistryWhateverItsCleanupThrows) {
  xz::core::Runtime rt(1, 1);
  rt.start();
  xz::session::SessionSettings settings;
  xz::session::SessionRegistry registry;
  std::atomic<int> made{0};
  const bool std_exception = GetParam();
  xz::session::ConversationFactory factory = [&](const xz::session::ConversationContext&) {
    ++made;
    return std::make_unique<FailingConversation>(std_exception);
  };
  xz::session::DeviceServerOptions opts;
  opts.address = "127.0.0.1";
  opts.port = 0;
  auto devices = std::make_unique<xz::session::DeviceServer>(rt, opts, xz::session::SessionDeps{settings, registry, factory},
                                                             xz::session::AuthPolicy{});
  devices->start();
  const std::string url = "ws://127.0.0.1:" + std::to_string(devices->port()) + "/xiaozhi/v1/";

  ClientLoop loop;
  for (int round = 0; round < 2; ++round) {
    auto said_hello = loop.run([&]() -> Task<bool> {
      // Its own statement: g++ 12 mis-copies a temporary (the default profile)
      // made in a full-expression that also has a co_await.
      auto ex = co_await asio::this_coro::executor;
      SimDevice dev(ex);
      ConnectOptions o;
      o.url = url;
      co_await dev.connect(o);
      bool ok = (co_await dev.wait_hello()).has_value();
      dev.drop_connection();
      co_return ok;
    }());
    ASSERT_TRUE(said_hello) << "round " << round;
    EXPECT_TRUE(registry_reaches(registry, 0, 5s)) << "round " << round << ": a dead session stayed registered";
  }
  EXPECT_EQ(made.load(), 2);
  devices->stop_accepting();
  rt.stop();
}

INSTANTIATE_TEST_SUITE_P(Session, FailingCleanup, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "StdException" : "AnyException"; });

// A summary that never comes back (the LLM hangs): the conversation's turn is in the
// chat history, and shutdown ends within its grace instead of waiting on the LLM; the
// unfinished summary is given up.
TEST(Shutdown, HistoryIsWrittenAndAHangingSummaryDoesNotHoldTheGrace) {
  FakeOpenAi fake;
  FakeReply answer;
  answer.tokens = {"Nice to meet you, Alice."};
  fake.push_reply(answer);
  FakeReply hang;
  hang.hang = true;  // the summary
  fake.push_reply(hang);
  TestServer server({{"LLM.OpenAILLM.base_url", fake.url()},
                     {"LLM.OpenAILLM.api_key", "sk-test"},
                     {"selected_module.Memory", "mem_local_short"}});
  xz::sim::DeviceProfile profile;
  profile.device_id = "aa:bb:cc:00:11:44";
  ClientLoop loop;
  const std::string url = server.ws_url();
  loop.run([&]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    SimDevice dev(ex, profile);
    ConnectOptions o;
    o.url = url;
    co_await dev.connect(o);
    EXPECT_TRUE(co_await dev.wait_hello());
    dev.listen_detect("my name is Alice");
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s));
    dev.drop_connection();
  }());
  ASSERT_TRUE(fake.wait_for_requests(2, 10s)) << "the session's summary never started";

  const auto t0 = std::chrono::steady_clock::now();
  server.server().shutdown(2000ms);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 2600ms) << "shutdown waited on the hanging summary past its grace";
  EXPECT_TRUE(fake.wait_for_client_disconnects(1, 5s)) << "the summary's LLM call is cancelled";

  xz::store::Database db(xz::store::database_path(server.data_dir()));
  auto turns = xz::history::recent_turns(db, profile.device_id, 10);
  ASSERT_EQ(turns.size(), 1u);
  EXPECT_EQ(turns[0].turn.user_text, "my name is Alice");
  EXPECT_FALSE(xz::memory::MemoryRepository(db).find(profile.device_id).has_value());
}
